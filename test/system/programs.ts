/**
 * Assembly sources of the system test programs (GNU as, Intel syntax). `pmProgram(main)` wraps a
 * test body in a real-mode start that loads a flat GDT and enters 32-bit protected mode; the body
 * reports values with `out imm8, eax` (recorded by the stub hypervisor) and ends with HLT.
 *
 * Fixed physical layout (program at 0x1000):
 *   0x20000 TSS 1 (GDT 0x28)     0x20100 TSS 2 (GDT 0x30)     0x21000 IDT (256 gates)
 *   0x30000 page directory       0x31000 page table            0x8f000 ring-0 stack top (ESP0)
 *   0x90000 initial stack top    0x70000 ring-3 stack top
 */

export const GDT = `
.balign 8
gdt:
  .quad 0                          # 0x00 null
  .quad 0x00cf9a000000ffff         # 0x08 code, DPL 0, 32-bit, 4 GiB
  .quad 0x00cf92000000ffff         # 0x10 data, DPL 0
  .quad 0x00cffa000000ffff         # 0x18 code, DPL 3
  .quad 0x00cff2000000ffff         # 0x20 data, DPL 3
  .quad 0x0000890200000067         # 0x28 TSS 1 at 0x20000, limit 0x67
  .quad 0x0000890201000067         # 0x30 TSS 2 at 0x20100
  .quad 0x00009a000000ffff         # 0x38 code, DPL 0, 16-bit, 64 KiB
  .quad 0x0000ec0000080000         # 0x40 call gate (32-bit, DPL 3) -> 0x08:0 (offset patched)
gdt_end:
gdtr:
  .word gdt_end - gdt - 1
  .long gdt
idtr:
  .word 256 * 8 - 1
  .long 0x21000
`;

/** Real mode -> protected mode, flat segments, IDT at 0x21000 (all gates not present), then main. */
export function pmProgram(main: string): string {
  return `
.intel_syntax noprefix
.code16
.globl _start
_start:
  cli
  xor ax, ax
  mov ds, ax
  lgdt [gdtr]
  mov eax, cr0
  or al, 1
  mov cr0, eax
  ljmp 0x08, offset pm32
.code32
pm32:
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  mov fs, ax
  mov gs, ax
  mov ss, ax
  mov esp, 0x90000
  mov edi, 0x21000
  xor eax, eax
  mov ecx, 512
  rep stosd
  lidt [idtr]
  jmp main

# set_gate: eax = vector, ebx = handler, ecx = attribute word (0x8e00 interrupt gate DPL 0,
# 0xee00 DPL 3, 0x8f00 trap gate, 0x0e00 not present)
set_gate:
  push edi
  lea edi, [0x21000 + eax * 8]
  mov [edi], bx
  mov word ptr [edi + 2], 0x08
  mov [edi + 4], cx
  shr ebx, 16
  mov [edi + 6], bx
  pop edi
  ret

${main}

${GDT}
`;
}

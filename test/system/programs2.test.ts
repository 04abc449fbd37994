/**
 * More system programs: the TSS I/O permission bitmap, virtual-8086 mode entered with IRET and left
 * through an interrupt, LAR/LSL/VERR/VERW/ARPL, conforming code, and LGDT with a 16-bit operand.
 */
import { describe, expect, it } from 'vitest';
import { haveBinutils, runProgram } from './harness.js';
import { pmProgram } from './programs.js';

const d = haveBinutils() ? describe : describe.skip;

const toRing3 = `
  mov dword ptr [0x20004], 0x8f000
  mov dword ptr [0x20008], 0x10
  mov ax, 0x28
  ltr ax
  push 0x23
  push 0x70000
  pushfd
  push 0x1b
  push offset user
  iretd
`;

d('system programs 2', () => {
  it('lets CPL 3 use the ports its I/O bitmap allows and faults on the others', () => {
    const r = runProgram(pmProgram(`
main:
  mov eax, 13
  mov ebx, offset gp_handler
  mov ecx, 0x8e00
  call set_gate
  # 32-bit TSS with an I/O bitmap at offset 0x68 covering ports 0-0x3ff; limit 0x68 + 0x80.
  mov byte ptr [gdt + 0x28], 0xe8
  mov word ptr [0x20066], 0x68
  mov edi, 0x20068
  mov eax, -1
  mov ecx, 32
  rep stosd
  mov byte ptr [0x20068 + 0x80 / 8], 0xfe     # port 0x80 allowed (bit 0 clear)
${toRing3}
user:
  mov eax, 0x1234
  out 0x80, al
  out 0x80, ax                                  # needs 0x81 too: denied
  hlt
gp_handler:
  pop eax
  out 0x90, eax
  pop eax
  out 0x91, eax
  hlt
`));
    expect(r.hv.writes.filter((w) => w.port === 0x80)).toEqual([{ port: 0x80, size: 1, value: 0x34 }]);
    expect(r.hv.valuesAt(0x90)).toEqual([0]);
    const outAx = r.sym.get('user')! + 5 + 2; // mov eax, imm32; out 0x80, al
    expect(r.hv.valuesAt(0x91)).toEqual([outAx]);
  });

  it('enters virtual-8086 mode with IRET and leaves it through an interrupt gate', () => {
    const r = runProgram(pmProgram(`
main:
  mov dword ptr [0x20004], 0x8f000
  mov dword ptr [0x20008], 0x10
  mov ax, 0x28
  ltr ax
  mov eax, 0x21
  mov ebx, offset v86_int
  mov ecx, 0xee00
  call set_gate
  # VM86 code at 0x5000:0 (linear 0x50000)
  mov esi, offset v86_code
  mov edi, 0x50000
  mov ecx, v86_end - v86_code
  rep movsb
  push 0x0                     # GS
  push 0x0                     # FS
  push 0x4000                  # DS
  push 0x0                     # ES
  push 0x6000                  # SS
  push 0x0ffe                  # ESP
  push 0x23002                 # EFLAGS: VM, IOPL 3
  push 0x5000                  # CS
  push 0x0                     # EIP
  iretd
v86_int:
  mov eax, [esp + 4]
  out 0x80, eax                # CS of the VM86 code
  mov eax, [esp + 8]
  out 0x81, eax                # EFLAGS with VM
  mov eax, [esp + 24]
  out 0x82, eax                # VM86 DS (frame: EIP CS EFLAGS ESP SS ES DS FS GS)
  mov eax, ds
  out 0x83, eax                # DS is null in the handler
  mov eax, ebx
  out 0x84, eax
  hlt
.code16
v86_code:
  mov bx, ds
  shl ebx, 16
  mov bx, cs
  mov ax, 0x1234
  mov [0x10], ax               # linear 0x40010
  int 0x21
v86_end:
.code32
`));
    expect(r.hv.valuesAt(0x80)).toEqual([0x5000]);
    expect(r.hv.valuesAt(0x81)[0] & 0x20000).toBe(0x20000);
    expect(r.hv.valuesAt(0x82)).toEqual([0x4000]);
    expect(r.hv.valuesAt(0x83)).toEqual([0]);
    expect(r.hv.valuesAt(0x84)).toEqual([0x40005000]);
    expect(r.phys.read16(0x40010)).toBe(0x1234);
  });

  it('answers LAR, LSL, VERR, VERW and ARPL', () => {
    const r = runProgram(pmProgram(`
main:
  mov ecx, 0x08
  lar eax, ecx
  out 0x80, eax
  lsl eax, ecx
  out 0x81, eax
  mov ecx, 0x28
  lsl eax, ecx
  out 0x82, eax
  mov eax, 0x12345678
  mov ecx, 0x400                # outside the GDT: ZF = 0, destination unchanged
  lar eax, ecx
  setz bl
  out 0x83, eax
  movzx eax, bl
  out 0x84, eax
  mov cx, 0x08
  verr cx
  setz al
  verw cx                       # code is never writable
  setz ah
  movzx eax, ax
  out 0x85, eax
  mov cx, 0x10
  verw cx
  setz al
  movzx eax, al
  out 0x86, eax
  mov ax, 0x10
  mov cx, 0x23
  arpl ax, cx
  setz bl
  movzx eax, ax
  out 0x87, eax
  movzx eax, bl
  out 0x88, eax
  hlt
`));
    expect(r.hv.valuesAt(0x80)).toEqual([0x00cf9b00]); // accessed since CS was loaded
    expect(r.hv.valuesAt(0x81)).toEqual([0xffffffff]);
    expect(r.hv.valuesAt(0x82)).toEqual([0x67]);
    expect(r.hv.valuesAt(0x83)).toEqual([0x12345678]);
    expect(r.hv.valuesAt(0x84)).toEqual([0]);
    expect(r.hv.valuesAt(0x85)).toEqual([0x0001]);
    expect(r.hv.valuesAt(0x86)).toEqual([1]);
    expect(r.hv.valuesAt(0x87)).toEqual([0x13]);
    expect(r.hv.valuesAt(0x88)).toEqual([1]);
  });

  it('keeps CPL on a far call to conforming code and refuses a direct call to more privileged code', () => {
    const r = runProgram(pmProgram(`
main:
  mov dword ptr [gdt + 0x38], 0x0000ffff
  mov dword ptr [gdt + 0x3c], 0x00cf9e00    # 0x38: conforming code, DPL 0
  mov eax, 13
  mov ebx, offset gp_handler
  mov ecx, 0x8e00
  call set_gate
${toRing3}
user:
  lcall 0x38, offset conf
  mov eax, cs
  mov esi, eax
  lcall 0x08, offset conf       # non-conforming DPL 0 from CPL 3: #GP(0x08)
  hlt
conf:
  mov eax, cs
  mov edi, eax
  lret
gp_handler:
  pop eax
  out 0x80, eax
  mov eax, edi
  out 0x81, eax
  mov eax, esi
  out 0x82, eax
  hlt
`));
    expect(r.hv.valuesAt(0x80)).toEqual([0x08]);
    expect(r.hv.valuesAt(0x81)).toEqual([0x3b]); // CS RPL = CPL 3 inside conforming code
    expect(r.hv.valuesAt(0x82)).toEqual([0x1b]);
  });

  it('loads a 24-bit base with a 16-bit LGDT and stores the full base with SGDT', () => {
    const r = runProgram(`
.intel_syntax noprefix
.code16
.globl _start
_start:
  xor ax, ax
  mov ds, ax
  lgdt [desc]
  sgdt [out]
  mov eax, [out + 2]
  out 0x80, eax
  movzx eax, word ptr [out]
  out 0x81, eax
  hlt
desc:
  .word 0x1234
  .long 0xab567890
out:
  .word 0
  .long 0
`);
    expect(r.hv.valuesAt(0x80)).toEqual([0x567890]);
    expect(r.hv.valuesAt(0x81)).toEqual([0x1234]);
  });
});

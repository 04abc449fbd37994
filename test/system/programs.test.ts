/**
 * System-level behaviour through small programs of our own, assembled at test time with GNU as:
 * real -> protected mode, paging and #PF (CR2, error code, restart EIP, A/D bits, page-crossing
 * writes), interrupts through the IDT, CPL 3 <-> CPL 0 through gates and IRET, SYSENTER/SYSEXIT,
 * task switches, #DF and triple fault.
 */
import { describe, expect, it } from 'vitest';
import { Seg } from '../../src/frontend/insn.js';
import { ExitReason } from '../../src/cpu/exit.js';
import { haveBinutils, runProgram } from './harness.js';
import { oracle } from '../support/oracle.js';
import { pmProgram } from './programs.js';

const d = oracle('system programs', haveBinutils(), 'GNU as/ld are not installed (Debian: apt-get install binutils)') ? describe : describe.skip;

d('real mode', () => {
  it('delivers INT n through the IVT and returns with IRET', () => {
    const r = runProgram(`
.intel_syntax noprefix
.code16
.globl _start
_start:
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x7000
  mov word ptr [0x40 * 4], offset handler
  mov word ptr [0x40 * 4 + 2], 0
  stc
  int 0x40
after:
  mov ax, sp
  out 0x81, ax
  hlt
handler:
  mov bp, sp
  mov ax, [bp]
  out 0x80, ax
  iret
`);
    expect(r.hv.valuesAt(0x80)).toEqual([r.sym.get('after')]);
    expect(r.hv.valuesAt(0x81)).toEqual([0x7000]);
  });
});

d('protected mode', () => {
  it('switches from real to protected mode with a far jump', () => {
    const r = runProgram(pmProgram(`
main:
  mov eax, cs
  out 0x80, eax
  mov eax, ss
  out 0x81, eax
  mov eax, cr0
  out 0x82, eax
  hlt
`));
    expect(r.hv.valuesAt(0x80)).toEqual([0x08]);
    expect(r.hv.valuesAt(0x81)).toEqual([0x10]);
    expect(r.hv.valuesAt(0x82)[0] & 1).toBe(1);
    expect(r.cpu.code32).toBe(true);
    expect(r.cpu.stack32).toBe(true);
    expect(r.cpu.segLimit[Seg.DS] >>> 0).toBe(0xffffffff);
    expect(r.hv.exits).toContain(ExitReason.MovCr);
  });

  it('delivers INT n through an interrupt gate and returns with IRET', () => {
    const r = runProgram(pmProgram(`
main:
  mov eax, 0x40
  mov ebx, offset handler
  mov ecx, 0x8e00
  call set_gate
  sti
  mov eax, esp
  out 0x83, eax
  int 0x40
after:
  pushfd
  pop eax
  out 0x82, eax
  mov eax, esp
  out 0x83, eax
  hlt
handler:
  mov eax, [esp]
  out 0x80, eax
  pushfd
  pop eax
  out 0x81, eax
  iretd
`));
    expect(r.hv.valuesAt(0x80)).toEqual([r.sym.get('after')]);
    expect(r.hv.valuesAt(0x81)[0] & 0x200).toBe(0); // interrupt gate clears IF
    expect(r.hv.valuesAt(0x82)[0] & 0x200).toBe(0x200); // IRET restores it
    const esp = r.hv.valuesAt(0x83);
    expect(esp[1]).toBe(esp[0]);
  });

  it('goes to CPL 3 with IRET, back to CPL 0 through a DPL-3 gate with the TSS stack, and faults on CLI', () => {
    const r = runProgram(pmProgram(`
main:
  mov dword ptr [0x20004], 0x8f000     # TSS.ESP0
  mov dword ptr [0x20008], 0x10        # TSS.SS0
  mov ax, 0x28
  ltr ax
  mov eax, 0x80
  mov ebx, offset syscall
  mov ecx, 0xee00
  call set_gate
  mov eax, 13
  mov ebx, offset gp_handler
  mov ecx, 0x8e00
  call set_gate
  push 0x23
  push 0x70000
  pushfd
  push 0x1b
  push offset user
  iretd
user:
  mov eax, 0x11
  int 0x80
  mov ax, 0x23
  mov ds, ax
  mov eax, ss
  int 0x80
after_syscall:
  cli
  hlt
syscall:
  out 0x80, eax
  mov eax, [esp + 4]
  out 0x81, eax                         # user CS
  mov eax, esp
  out 0x82, eax                         # ring-0 stack
  mov eax, [esp + 12]
  out 0x83, eax                         # user ESP
  mov eax, cs
  out 0x84, eax
  iretd
gp_handler:
  pop eax
  out 0x85, eax                         # error code
  pop eax
  out 0x86, eax                         # EIP of CLI
  pop eax
  out 0x87, eax                         # CS
  hlt
`));
    expect(r.hv.valuesAt(0x80)).toEqual([0x11, 0x23]);
    expect(r.hv.valuesAt(0x81)).toEqual([0x1b, 0x1b]);
    expect(r.hv.valuesAt(0x82)).toEqual([0x8f000 - 20, 0x8f000 - 20]);
    expect(r.hv.valuesAt(0x83)).toEqual([0x70000, 0x70000]);
    expect(r.hv.valuesAt(0x84)).toEqual([0x08, 0x08]);
    expect(r.hv.valuesAt(0x85)).toEqual([0]);
    expect(r.hv.valuesAt(0x86)).toEqual([r.sym.get('after_syscall')]);
    expect(r.hv.valuesAt(0x87)).toEqual([0x1b]);
    expect(r.cpu.cpl).toBe(0);
  });

  it('calls CPL 0 code from CPL 3 through a call gate and returns with RETF', () => {
    const r = runProgram(pmProgram(`
main:
  mov dword ptr [0x20004], 0x8f000
  mov dword ptr [0x20008], 0x10
  mov ax, 0x28
  ltr ax
  mov eax, offset gate_target
  mov [gdt + 0x40], ax
  shr eax, 16
  mov [gdt + 0x46], ax
  mov byte ptr [gdt + 0x44], 1          # one parameter
  push 0x23
  push 0x70000
  pushfd
  push 0x1b
  push offset user
  iretd
user:
  push 0xabcd
  lcall 0x43, 0
back:
  mov eax, 0x11
  mov ebx, esp
  mov ecx, cs
  mov edx, ds
  lcall 0x43, 0
gate_target:
  cmp eax, 0x11
  je done
  mov eax, [esp + 8]
  out 0x80, eax                         # the copied parameter
  mov eax, [esp]
  out 0x81, eax                         # return EIP
  mov eax, [esp + 12]
  out 0x82, eax                         # caller ESP
  mov ax, 0x10
  mov ds, ax                            # RETF to CPL 3 must null DS (DPL 0)
  retf 4
done:
  mov eax, ebx
  out 0x83, eax
  mov eax, ecx
  out 0x84, eax
  mov eax, edx
  out 0x85, eax
  hlt
`));
    expect(r.hv.valuesAt(0x80)).toEqual([0xabcd]);
    expect(r.hv.valuesAt(0x81)).toEqual([r.sym.get('back')]);
    expect(r.hv.valuesAt(0x82)).toEqual([0x70000 - 4]);
    expect(r.hv.valuesAt(0x83)).toEqual([0x70000]);
    expect(r.hv.valuesAt(0x84)).toEqual([0x1b]);
    expect(r.hv.valuesAt(0x85)).toEqual([0]);
  });

  it('runs SYSEXIT to CPL 3 and SYSENTER back', () => {
    const r = runProgram(pmProgram(`
main:
  xor edx, edx
  mov ecx, 0x174
  mov eax, 0x08
  wrmsr
  mov ecx, 0x175
  mov eax, 0x8e000
  wrmsr
  mov ecx, 0x176
  mov eax, offset kentry
  wrmsr
  mov ecx, 0x70000
  mov edx, offset user
  sysexit
user:
  mov eax, cs
  mov esi, eax
  mov eax, ss
  mov edi, eax
  mov ebx, esp
  sysenter
kentry:
  mov eax, esi
  out 0x80, eax
  mov eax, edi
  out 0x81, eax
  mov eax, ebx
  out 0x82, eax
  mov eax, cs
  out 0x83, eax
  mov eax, ss
  out 0x84, eax
  mov eax, esp
  out 0x85, eax
  hlt
`));
    expect(r.hv.valuesAt(0x80)).toEqual([0x1b]);
    expect(r.hv.valuesAt(0x81)).toEqual([0x23]);
    expect(r.hv.valuesAt(0x82)).toEqual([0x70000]);
    expect(r.hv.valuesAt(0x83)).toEqual([0x08]);
    expect(r.hv.valuesAt(0x84)).toEqual([0x10]);
    expect(r.hv.valuesAt(0x85)).toEqual([0x8e000]);
  });

  it('switches tasks with CALL to a TSS and returns with IRET (NT, back link, busy bits)', () => {
    const r = runProgram(pmProgram(`
main:
  mov ax, 0x28
  ltr ax
  mov edi, 0x20100
  xor eax, eax
  mov ecx, 26
  rep stosd
  mov dword ptr [0x20100 + 0x20], offset task2   # EIP
  mov dword ptr [0x20100 + 0x24], 2              # EFLAGS
  mov dword ptr [0x20100 + 0x38], 0x60000        # ESP
  mov dword ptr [0x20100 + 0x4c], 0x08           # CS
  mov dword ptr [0x20100 + 0x50], 0x10           # SS
  mov dword ptr [0x20100 + 0x54], 0x10           # DS
  mov dword ptr [0x20100 + 0x48], 0x10           # ES
  mov ebx, 0x1234
  mov esi, 0x5678
  lcall 0x30, 0
after_call:
  mov eax, ebx
  out 0x84, eax
  mov eax, esi
  out 0x85, eax
  pushfd
  pop eax
  out 0x86, eax
  movzx eax, byte ptr [gdt + 0x35]
  out 0x87, eax                                  # TSS 2 type after return
  str ax
  out 0x88, eax
  hlt
task2:
  str ax
  movzx eax, ax
  out 0x80, eax
  pushfd
  pop eax
  out 0x81, eax
  movzx eax, word ptr [0x20100]
  out 0x82, eax
  mov eax, esp
  out 0x83, eax
  mov ebx, 0x9999
  iretd
`));
    expect(r.hv.valuesAt(0x80)).toEqual([0x30]);
    expect(r.hv.valuesAt(0x81)[0] & 0x4000).toBe(0x4000); // NT
    expect(r.hv.valuesAt(0x82)).toEqual([0x28]); // back link
    expect(r.hv.valuesAt(0x83)).toEqual([0x60000]);
    expect(r.hv.valuesAt(0x84)).toEqual([0x1234]);
    expect(r.hv.valuesAt(0x85)).toEqual([0x5678]);
    expect(r.hv.valuesAt(0x86)[0] & 0x4000).toBe(0);
    expect(r.hv.valuesAt(0x87)).toEqual([0x89]); // busy bit cleared by IRET
    expect(r.hv.valuesAt(0x88)[0] & 0xffff).toBe(0x28);
    expect(r.cpu.cr0 & 8).toBe(8); // CR0.TS set by the switch
  });

  it('turns #NP during #DE delivery into #DF with error code 0', () => {
    const r = runProgram(pmProgram(`
main:
  mov eax, 0
  mov ebx, offset main
  mov ecx, 0x0e00                       # #DE gate not present
  call set_gate
  mov eax, 8
  mov ebx, offset df_handler
  mov ecx, 0x8e00
  call set_gate
  xor ecx, ecx
faulting:
  div ecx
  hlt
df_handler:
  pop eax
  out 0x80, eax
  pop eax
  out 0x81, eax
  hlt
`));
    expect(r.hv.valuesAt(0x80)).toEqual([0]);
    expect(r.hv.valuesAt(0x81)).toEqual([r.sym.get('faulting')]);
  });

  it('exits with TripleFault when not even #DF can be delivered', () => {
    const r = runProgram(pmProgram(`
main:
  lidt [null_idt]
  int3
  out 0x80, eax
  hlt
null_idt:
  .word 0
  .long 0
`));
    expect(r.hv.tripleFaults).toBe(1);
    expect(r.hv.exits.at(-1)).toBe(ExitReason.TripleFault);
    expect(r.hv.valuesAt(0x80)).toEqual([]);
  });
});

d('paging', () => {
  const setup = `
  mov edi, 0x30000
  xor eax, eax
  mov ecx, 1024
  rep stosd
  mov dword ptr [0x30000], 0x31007        # PDE 0 -> page table, user, writable
  mov edi, 0x31000
  mov eax, 0x007
  mov ecx, 1024
1:
  stosd
  add eax, 0x1000
  loop 1b
  mov dword ptr [0x31000 + 0x100 * 4], 0            # 0x100000 not present
  mov dword ptr [0x31000 + 0x101 * 4], 0x101005     # 0x101000 read-only
  mov dword ptr [0x30004], 0x00000083               # 0x400000: 4 MiB page -> 0
  mov eax, cr4
  or eax, 0x10
  mov cr4, eax
  mov eax, 0x30000
  mov cr3, eax
  mov eax, 14
  mov ebx, offset pf_handler
  mov ecx, 0x8e00
  call set_gate
  mov eax, cr0
  or eax, 0x80010000                                # PG | WP
  mov cr0, eax
`;
  const handler = `
pf_handler:
  pop eax
  out 0x81, eax                           # error code
  mov eax, cr2
  out 0x82, eax
  mov eax, [esp]
  out 0x83, eax                           # EIP of the faulting instruction
  mov eax, [resume]
  mov [esp], eax
  iretd
resume: .long 0
`;

  it('translates 4 KiB and 4 MiB pages and sets accessed/dirty bits', () => {
    const r = runProgram(pmProgram(`
main:
${setup}
  mov dword ptr [0x405000], 0xcafebabe
  mov eax, [0x5000]
  out 0x80, eax
  mov eax, [0x6000]
  hlt
${handler}
`));
    expect(r.hv.valuesAt(0x80)).toEqual([0xcafebabe]);
    const pde1 = r.phys.read32(0x30004);
    expect(pde1 & 0x60).toBe(0x60); // A and D on the 4 MiB page
    const pte5 = r.phys.read32(0x31000 + 5 * 4);
    expect(pte5 & 0x60).toBe(0x20); // read only: A, not D
    const pte6 = r.phys.read32(0x31000 + 6 * 4);
    expect(pte6 & 0x20).toBe(0x20);
    expect(r.phys.read32(0x30000) & 0x20).toBe(0x20); // PDE 0 accessed
  });

  it('raises #PF with CR2, error code and the faulting EIP, and restarts the instruction', () => {
    const r = runProgram(pmProgram(`
main:
${setup}
  mov dword ptr [resume], offset r1
  mov ebx, 0x100123
f1:
  mov eax, [ebx]                         # not present, read
r1:
  mov dword ptr [resume], offset r2
  mov dword ptr [0xffffc], 0x11223344
f2:
  mov dword ptr [0xffffe], 0xaabbccdd    # crosses into the not-present page: nothing written
r2:
  mov eax, [0xffffc]
  out 0x84, eax
  mov dword ptr [resume], offset r3
f3:
  mov byte ptr [0x101010], 1             # read-only page, WP = 1
r3:
  mov dword ptr [resume], offset r4
  mov eax, [0x31000 + 0x100 * 4]
  mov dword ptr [0x31000 + 0x100 * 4], 0x100007
  invlpg [0x100000]
  mov dword ptr [0x100000], 0x77
  mov eax, [0x100000]
  out 0x85, eax
r4:
  hlt
${handler}
`));
    const s = (n: string): number => r.sym.get(n)!;
    expect(r.hv.valuesAt(0x81)).toEqual([0, 2, 3]);
    expect(r.hv.valuesAt(0x82)).toEqual([0x100123, 0x100000, 0x101010]);
    expect(r.hv.valuesAt(0x83)).toEqual([s('f1'), s('f2'), s('f3')]);
    expect(r.hv.valuesAt(0x84)).toEqual([0x11223344]);
    expect(r.hv.valuesAt(0x85)).toEqual([0x77]);
    expect(r.hv.exits).toContain(ExitReason.Invlpg);
  });

  it('gives a user-mode access to a supervisor page error code 5/7', () => {
    const r = runProgram(pmProgram(`
main:
${setup}
  mov dword ptr [0x31000 + 0x200 * 4], 0x200003     # 0x200000 supervisor only
  mov dword ptr [0x20004], 0x8f000
  mov dword ptr [0x20008], 0x10
  mov ax, 0x28
  ltr ax
  mov dword ptr [resume], offset done
  push 0x23
  push 0x70000
  pushfd
  push 0x1b
  push offset user
  iretd
user:
  mov ax, 0x23                          # IRET to CPL 3 nulled DS (DPL 0)
  mov ds, ax
  mov eax, [0x200000]
  hlt
done:
  hlt
${handler}
`));
    expect(r.hv.valuesAt(0x81)).toEqual([5]);
    expect(r.hv.valuesAt(0x82)).toEqual([0x200000]);
  });
});

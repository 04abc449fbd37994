/**
 * More system programs: the TSS I/O permission bitmap, virtual-8086 mode entered with IRET and left
 * through an interrupt, LAR/LSL/VERR/VERW/ARPL, conforming code, and LGDT with a 16-bit operand.
 */
import { describe, expect, it } from 'vitest';
import { oracle } from '../support/oracle.js';
import { instructionBreakpoint } from '../../src/cpu/system/debug.js';
import { pollNmi } from '../../src/cpu/system/interrupts.js';
import { Mn } from '../../src/frontend/mnemonics.js';
import { assemble, haveBinutils, loadReal, makeBench, runProgram, runToHalt } from './harness.js';
import { pmProgram } from './programs.js';

const d = oracle('system programs', haveBinutils(), 'GNU as/ld are not installed (Debian: apt-get install binutils)') ? describe : describe.skip;

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

d('task gates', () => {
  it('delivers an exception with an error code through a task gate and returns with IRET', () => {
    const r = runProgram(pmProgram(`
main:
  mov ax, 0x28
  ltr ax
  mov edi, 0x20100
  xor eax, eax
  mov ecx, 26
  rep stosd
  mov dword ptr [0x20100 + 0x20], offset gp_task
  mov dword ptr [0x20100 + 0x24], 2
  mov dword ptr [0x20100 + 0x38], 0x60000
  mov dword ptr [0x20100 + 0x4c], 0x08
  mov dword ptr [0x20100 + 0x50], 0x10
  mov dword ptr [0x20100 + 0x54], 0x10
  mov dword ptr [0x20100 + 0x48], 0x10
  # IDT 13: task gate -> TSS 0x30
  mov dword ptr [0x21000 + 13 * 8], 0x00300000
  mov dword ptr [0x21000 + 13 * 8 + 4], 0x00008500
  mov ax, 0x5b                      # a selector beyond the GDT limit: #GP(0x58)
faulting:
  mov ds, ax
  mov eax, 0x77
  out 0x83, eax
  hlt
gp_task:
  pop eax
  out 0x80, eax                     # error code on the new task's stack
  mov eax, [0x20000 + 0x20]
  out 0x81, eax                     # EIP saved in the old TSS: the faulting instruction
  movzx eax, word ptr [0x20000 + 0x48 + 12]
  out 0x82, eax                     # DS saved (unchanged, 0x10)
  # return to the old task after the faulting instruction
  mov dword ptr [0x20000 + 0x20], offset faulting + 2
  iretd
`));
    expect(r.hv.valuesAt(0x80)).toEqual([0x58]);
    expect(r.hv.valuesAt(0x81)).toEqual([r.sym.get('faulting')]);
    expect(r.hv.valuesAt(0x82)).toEqual([0x10]);
    expect(r.hv.valuesAt(0x83)).toEqual([0x77]);
  });

  it('jumps to a 16-bit TSS and back with JMP (busy bits follow)', () => {
    const r = runProgram(pmProgram(`
main:
  mov ax, 0x28
  ltr ax
  # GDT 0x30 becomes a 16-bit available TSS at 0x20100 (type 1), limit 0x2b
  mov dword ptr [gdt + 0x30], 0x0100002b
  mov dword ptr [gdt + 0x34], 0x00008102
  mov edi, 0x20100
  xor eax, eax
  mov ecx, 16
  rep stosd
  mov word ptr [0x20100 + 0x0e], offset task16
  mov word ptr [0x20100 + 0x10], 2
  mov word ptr [0x20100 + 0x1a], 0x6000       # SP
  mov word ptr [0x20100 + 0x18], 0x4321       # BX
  mov word ptr [0x20100 + 0x24], 0x38         # CS: 16-bit code segment
  mov word ptr [0x20100 + 0x26], 0x10         # SS
  mov word ptr [0x20100 + 0x28], 0x10         # DS
  mov word ptr [0x20100 + 0x22], 0x10         # ES
  ljmp 0x30, 0
back:
  movzx eax, byte ptr [gdt + 0x35]
  out 0x82, eax
  movzx eax, byte ptr [gdt + 0x2d]
  out 0x83, eax
  hlt
.code16
task16:
  mov ax, bx
  out 0x80, ax
  movzx eax, byte ptr [gdt + 0x2d]
  out 0x81, ax
  mov ebx, 0x20020
  mov dword ptr [ebx], offset back             # the old task resumes at back
  ljmp 0x28, 0
.code32
`));
    expect(r.hv.valuesAt(0x80)).toEqual([0x4321]);
    expect(r.hv.valuesAt(0x81)).toEqual([0x89]); // old TSS no longer busy after JMP
    expect(r.hv.valuesAt(0x82)).toEqual([0x81]);
    expect(r.hv.valuesAt(0x83)).toEqual([0x8b]);
  });
});

d('NMI', () => {
  it('delivers an NMI through vector 2 and blocks the next one until IRET', () => {
    const { bin } = assemble(pmProgram(`
main:
  mov eax, 2
  mov ebx, offset nmi_handler
  mov ecx, 0x8e00
  call set_gate
  hlt                           # wait for the first NMI (IF = 0: only an NMI gets through)
  mov eax, 0x22
  out 0x81, eax
  hlt
nmi_handler:
  mov eax, 0x11
  out 0x80, eax
  hlt                           # a second NMI arrives here: blocked
  iretd
`), 0x1000);
    const b = makeBench();
    loadReal(b, bin, 0x1000);
    let pending = 0;
    b.cpu.intr = { hasInterrupt: () => false, acknowledge: () => 0, hasNmi: () => pending > 0, takeNmi: () => pending-- > 0 } as never;
    runToHalt(b);
    pending = 1;
    expect(pollNmi(b.cpu)).toBe(true);
    runToHalt(b);
    expect(b.hv.valuesAt(0x80)).toEqual([0x11]);
    pending = 1;
    expect(pollNmi(b.cpu)).toBe(false); // still inside the handler: the NMI stays pending
    b.cpu.halted = false;
    runToHalt(b); // IRET unblocks; the run loop takes the pending NMI at once
    expect(b.hv.valuesAt(0x80)).toEqual([0x11, 0x11]);
    expect(pending).toBe(0);
    b.cpu.halted = false;
    runToHalt(b); // IRET, then the main program halts again
    expect(b.hv.valuesAt(0x81)).toEqual([0x22]);
  });
});

d('control instructions', () => {
  it('checks CR writes, RDMSR faults, CPUID and RDTSC (with CR4.TSD at CPL 3)', () => {
    const r = runProgram(pmProgram(`
main:
  mov eax, 13
  mov ebx, offset gp_handler
  mov ecx, 0x8e00
  call set_gate
  mov dword ptr [resume], offset r1
  mov eax, cr4
  or eax, 0x20                  # PAE: not supported, #GP(0)
f1:
  mov cr4, eax
r1:
  mov dword ptr [resume], offset r2
  mov eax, cr0
  and eax, 0x7ffffffe
  or eax, 0x80000000            # PG without PE: #GP(0)
f2:
  mov cr0, eax
r2:
  mov dword ptr [resume], offset r3
  mov ecx, 0x12345
f3:
  rdmsr                         # the hypervisor refuses it: #GP(0)
r3:
  xor eax, eax
  cpuid
  mov eax, ebx
  out 0x82, eax
  rdtsc
  mov esi, eax
  rdtsc
  sub eax, esi
  out 0x83, eax
  mov eax, cr4
  or eax, 4                     # TSD
  mov cr4, eax
  mov dword ptr [0x20004], 0x8f000
  mov dword ptr [0x20008], 0x10
  mov ax, 0x28
  ltr ax
  mov dword ptr [resume], 0        # the next #GP ends the test
  push 0x23
  push 0x70000
  pushfd
  push 0x1b
  push offset user
  iretd
user:
f4:
  rdtsc
  hlt
gp_handler:
  mov ax, 0x10                      # DS was nulled by the IRET to CPL 3
  mov ds, ax
  pop eax
  out 0x80, eax
  mov eax, [esp]
  out 0x81, eax
  mov eax, [resume]
  test eax, eax
  jz stop
  mov [esp], eax
  iretd
stop:
  hlt
resume: .long 0
`));
    const s = (n: string): number => r.sym.get(n)!;
    expect(r.hv.valuesAt(0x80)).toEqual([0, 0, 0, 0]);
    expect(r.hv.valuesAt(0x81)).toEqual([s('f1'), s('f2'), s('f3'), s('f4')]);
    expect(r.hv.valuesAt(0x82)).toEqual([0x756e6547]);
    expect(r.hv.valuesAt(0x83)).toEqual([1000]);
  });
});

d('debug registers', () => {
  it('raises an instruction-breakpoint #DB before the instruction, stepped over with RF', () => {
    const { bin, sym } = assemble(pmProgram(`
main:
  mov eax, 1
  mov ebx, offset db_handler
  mov ecx, 0x8e00
  call set_gate
  mov eax, offset target
  mov dr0, eax
  mov eax, 0x402                  # G0, R/W0 = 00 (execute), LEN0 = 00
  mov dr7, eax
  xor esi, esi
target:
  inc esi
  mov eax, esi
  out 0x82, eax
  hlt
db_handler:
  mov eax, dr6
  and eax, 0xf
  out 0x80, eax
  mov eax, [esp]
  out 0x81, eax
  or dword ptr [esp + 8], 0x10000 # RF: resume without hitting the breakpoint again
  iretd
`), 0x1000);
    const b = makeBench();
    loadReal(b, bin, 0x1000);
    // The run-loop recipe of src/cpu/system/debug.ts, one instruction at a time.
    for (let n = 0; n < 100_000 && !b.cpu.halted; n++) {
      if ((b.cpu.dr[7] & 0xff) !== 0 && instructionBreakpoint(b.cpu)) continue;
      const hadRf = (b.cpu.eflags & 0x10000) !== 0;
      b.cpu.run(1);
      if (hadRf && b.cpu.insn.mn !== Mn.IRET) b.cpu.eflags &= ~0x10000;
    }
    expect(b.hv.valuesAt(0x80)).toEqual([1]);
    expect(b.hv.valuesAt(0x81)).toEqual([sym.get('target')]);
    expect(b.hv.valuesAt(0x82)).toEqual([1]); // INC ran exactly once
  });
});

d('single step', () => {
  it('traps after each instruction that starts with TF set', () => {
    const { bin, sym } = assemble(pmProgram(`
main:
  mov eax, 1
  mov ebx, offset db_handler
  mov ecx, 0x8e00
  call set_gate
  pushfd
  or dword ptr [esp], 0x100
  popfd
n1:
  nop
n2:
  nop
p2:
  pushfd
a2:
  and dword ptr [esp], ~0x100
f2:
  popfd
end:
  hlt
db_handler:
  mov eax, [esp]
  out 0x80, eax
  mov eax, dr6
  and eax, 0x4000
  out 0x81, eax
  iretd
`), 0x1000);
    const b = makeBench();
    loadReal(b, bin, 0x1000);
    // Cpu.run samples TF before each instruction and traps after it completes.
    for (let n = 0; n < 100_000 && !b.cpu.halted; n++) b.cpu.run(1);
    const s = (k: string): number => sym.get(k)!;
    expect(b.hv.valuesAt(0x80)).toEqual([s('n2'), s('p2'), s('a2'), s('f2'), s('end')]);
    expect(b.hv.valuesAt(0x81)).toEqual([0x4000, 0x4000, 0x4000, 0x4000, 0x4000]);
  });
});

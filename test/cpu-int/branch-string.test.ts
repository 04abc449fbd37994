/**
 * Near branches (JMP/Jcc/JCXZ/LOOPcc/CALL/RET, 16-bit truncation, CS limit), string instructions
 * with REP prefixes, segment overrides, DF and 16/32-bit addressing, INS/OUTS through VM exits,
 * and precise faults (state untouched, EIP at the faulting instruction, REP registers consistent).
 */
import { describe, expect, it } from 'vitest';
import { asm, CF, CODE, DATA, DF, enablePaging, flags, machine, rd32, run, setFlags, STACK_TOP, wr32, ZF } from './harness.js';

describe('near branches', () => {
  it('a counted loop with Jcc, CALL/RET and RET imm16', () => {
    const t = machine();
    const code = asm(`
      xor eax, eax
      mov ecx, 10
    1: add eax, ecx
      dec ecx
      jnz 1b
      push 7
      call f
      jmp done
    f: add eax, [esp+4]
      ret 4
    done: nop`);
    expect(run(t, code)).toBe(-1);
    expect(t.cpu.regs[0]).toBe(55 + 7);
    expect(t.cpu.regs[4]).toBe(STACK_TOP);
  });

  it('JMP/CALL through register and memory', () => {
    const t = machine();
    const code = asm(`
      lea eax, [t1]
      jmp eax
      mov ebx, 1
    t1: lea ecx, [t2]
      mov [${DATA}], ecx
      call dword ptr [${DATA}]
      jmp end
    t2: mov edx, [esp]
      ret
    end: nop`);
    expect(run(t, code)).toBe(-1);
    expect(t.cpu.regs[3]).toBe(0);
    expect(rd32(t, STACK_TOP - 4)).toBe(t.cpu.regs[2]);
  });

  it('LOOP/LOOPE/LOOPNE and JECXZ/JCXZ by address size', () => {
    const t = machine();
    run(t, asm(`
      mov ecx, 5
      xor eax, eax
    1: inc eax
      loop 1b`));
    expect([t.cpu.regs[0], t.cpu.regs[1]]).toEqual([5, 0]);
    // LOOPE stops when ZF = 0
    run(t, asm(`
      mov ecx, 100
      xor eax, eax
    1: inc eax
      cmp eax, 3
      loopne 1b`));
    expect([t.cpu.regs[0], t.cpu.regs[1]]).toEqual([3, 97]);
    // addr16 LOOP uses CX only: ECX = 0x10000 -> CX = 0 -> 0xffff after decrement, taken
    t.cpu.regs[1] = 0x10001;
    run(t, asm('.byte 0x67, 0xe2, 5 # addr16 loop over the mov\nmov ebx, 1\nnop'));
    expect(t.cpu.regs[1]).toBe(0x10000);
    t.cpu.regs[3] = 0;
    t.cpu.regs[1] = 0x10000;
    run(t, asm('jcxz 1f\nmov ebx, 1\n1: nop'));
    expect(t.cpu.regs[3]).toBe(0);
    run(t, asm('jecxz 1f\nmov ebx, 1\n1: nop'));
    expect(t.cpu.regs[3]).toBe(1);
  });

  it('a 16-bit operand size truncates EIP to 16 bits; beyond the CS limit is #GP', () => {
    const t = machine();
    // 66 E9 rel16 from EIP 0x1004: target 0x1004 + 0x100 = 0x1104 -> 16-bit 0x1104
    run(t, asm('.byte 0x66, 0xe9, 0x00, 0x01'), 1);
    expect(t.cpu.eip).toBe(0x1104);
    const u = machine();
    u.cpu.regs[0] = 0x12345;
    run(u, asm('.byte 0x66, 0xff, 0xe0'), 1); // jmp ax
    expect(u.cpu.eip).toBe(0x2345);
    const v = machine();
    v.cpu.segLimit[1] = 0x1fff;
    v.cpu.regs[0] = 0x2000;
    expect(run(v, asm('push 1\njmp eax'))).toBe(13);
    expect(v.cpu.eip).toBe(CODE + 2);
  });

  it('16-bit code: CALL pushes IP, stack wraps in SP', () => {
    const t = machine({ code16: true });
    t.cpu.regs[4] = 0x10002;
    run(t, asm('call 1f\n1: pop ax', 16));
    expect(t.cpu.regs[0] & 0xffff).toBe(CODE + 3);
    expect(t.cpu.regs[4]).toBe(0x10002);
    t.cpu.regs[4] = 0x20000; // SP = 0: push wraps to 0xfffe in SS
    run(t, asm('push 0x1234', 16));
    expect(t.cpu.regs[4]).toBe(0x2fffe);
    expect(t.phys.read16(0xfffe)).toBe(0x1234);
  });
});

describe('string instructions', () => {
  it('REP MOVSD/MOVSB forward and backward', () => {
    const t = machine();
    for (let k = 0; k < 16; k++) t.phys.write8(DATA + k, k + 1);
    t.cpu.regs[6] = DATA; t.cpu.regs[7] = DATA + 0x100; t.cpu.regs[1] = 4;
    run(t, asm('cld\nrep movsd'));
    expect([t.cpu.regs[1], t.cpu.regs[6], t.cpu.regs[7]]).toEqual([0, DATA + 16, DATA + 0x110]);
    expect(rd32(t, DATA + 0x10c)).toBe(0x100f0e0d);
    // backward byte copy overlapping (memmove tail-first)
    t.cpu.regs[6] = DATA + 15; t.cpu.regs[7] = DATA + 16; t.cpu.regs[1] = 16;
    run(t, asm('std\nrep movsb\ncld'));
    expect(t.phys.read8(DATA + 16)).toBe(16);
    expect(t.phys.read8(DATA + 1)).toBe(1);
    expect(t.cpu.regs[6]).toBe(DATA - 1);
  });

  it('REP STOSW, LODSB, segment override on the source only', () => {
    const t = machine();
    t.cpu.regs[0] = 0xbeef; t.cpu.regs[7] = DATA; t.cpu.regs[1] = 3;
    run(t, asm('rep stosw'));
    expect(rd32(t, DATA)).toBe(0xbeefbeef | 0);
    expect(t.phys.read16(DATA + 4)).toBe(0xbeef);
    expect(t.phys.read16(DATA + 6)).toBe(0);
    t.cpu.segBase[4] = 0x100; // FS
    t.phys.write8(DATA + 0x100, 0x42);
    t.cpu.regs[6] = DATA;
    run(t, asm('lods al, byte ptr fs:[esi]'));
    expect(t.cpu.regs[0] & 0xff).toBe(0x42);
    expect(t.cpu.regs[6]).toBe(DATA + 1);
  });

  it('REPE CMPSB stops at the first difference; REPNE SCASB finds a byte', () => {
    const t = machine();
    t.phys.u8.set([1, 2, 3, 4, 5], DATA);
    t.phys.u8.set([1, 2, 9, 4, 5], DATA + 0x40);
    t.cpu.regs[6] = DATA; t.cpu.regs[7] = DATA + 0x40; t.cpu.regs[1] = 5;
    run(t, asm('repe cmpsb'));
    expect([t.cpu.regs[1], t.cpu.regs[6], flags(t) & (ZF | CF)]).toEqual([2, DATA + 3, CF]);
    t.cpu.regs[0] = 4; t.cpu.regs[7] = DATA; t.cpu.regs[1] = 10;
    run(t, asm('repne scasb'));
    expect([t.cpu.regs[1], t.cpu.regs[7], flags(t) & ZF]).toEqual([6, DATA + 4, ZF]);
    // count 0: nothing happens, flags untouched
    setFlags(t, CF);
    t.cpu.regs[1] = 0;
    run(t, asm('repe cmpsd'));
    expect([t.cpu.regs[7], flags(t)]).toEqual([DATA + 4, CF]);
  });

  it('16-bit addressing wraps SI/DI and counts with CX', () => {
    const t = machine();
    t.phys.write8(0xffff, 0x11);
    t.phys.write8(0x0000, 0x22);
    t.cpu.regs[6] = 0x5000ffff; t.cpu.regs[7] = 0x5000; t.cpu.regs[1] = 0x70002;
    run(t, asm('addr16 rep movsb'));
    expect([t.cpu.regs[6] >>> 0, t.cpu.regs[7], t.cpu.regs[1]]).toEqual([0x50000001, 0x5002, 0x70000]);
    expect(t.phys.read16(0x5000)).toBe(0x2211);
  });

  it('INS/OUTS go through port I/O exits', () => {
    const t = machine();
    t.hv.inValue = 0x5a;
    t.cpu.regs[2] = 0x3f8; t.cpu.regs[7] = DATA; t.cpu.regs[1] = 2;
    run(t, asm('rep insb'));
    expect(t.phys.read16(DATA)).toBe(0x5a5a);
    t.cpu.regs[6] = DATA; t.cpu.regs[1] = 1;
    run(t, asm('rep outsw'));
    expect(t.hv.log).toEqual(['in 3f8 1', 'in 3f8 1', 'out 3f8 2 5a5a']);
  });

  it('a fault in the middle of REP MOVSB leaves ESI/EDI/ECX at the faulting element', () => {
    const t = machine();
    t.cpu.segLimit[0] = DATA + 0x102; // ES limit: bytes DATA+0x100..0x102 writable, 0x103 not
    t.cpu.regs[6] = DATA; t.cpu.regs[7] = DATA + 0x100; t.cpu.regs[1] = 10;
    expect(run(t, asm('rep movsb'))).toBe(13);
    expect([t.cpu.regs[1], t.cpu.regs[6], t.cpu.regs[7], t.cpu.eip]).toEqual([7, DATA + 3, DATA + 0x103, CODE]);
  });

  it('a long REP yields to the run loop and resumes', () => {
    const t = machine();
    t.cpu.regs[7] = DATA; t.cpu.regs[1] = 10000; t.cpu.regs[0] = 0x33;
    const code = asm('rep stosb');
    t.phys.u8.set(code, CODE);
    t.cpu.eip = CODE;
    t.cpu.step();
    expect(t.cpu.eip).toBe(CODE); // still on the instruction, partly done
    expect(t.cpu.regs[1]).toBeGreaterThan(0);
    expect(t.cpu.regs[1]).toBeLessThan(10000);
    while (t.cpu.eip === CODE) t.cpu.step();
    expect([t.cpu.regs[1], t.cpu.regs[7], t.phys.read8(DATA + 9999), t.phys.read8(DATA + 10000)]).toEqual([0, DATA + 10000, 0x33, 0]);
  });
});

describe('precise faults and exceptions', () => {
  it('a read-modify-write whose write faults changes neither memory, flags nor registers', () => {
    const t = machine();
    t.cpu.segLimit[3] = DATA + 1; // DS: a dword at DATA is beyond the limit
    t.cpu.regs[3] = DATA; t.cpu.regs[0] = 1;
    setFlags(t, CF | ZF);
    expect(run(t, asm('add [ebx], eax'))).toBe(13);
    expect(flags(t)).toBe(CF | ZF);
    expect(t.cpu.eip).toBe(CODE);
  });

  it('read-modify-writes whose write faults (read-only page at CPL 3) change no register, flag or memory', () => {
    const t = machine();
    enablePaging(t, [DATA >>> 12]);
    t.cpu.cpl = 3;
    wr32(t, DATA, 0x01020304);
    for (const code of ['add [ebx], ecx', 'inc dword ptr [ebx]', 'shl dword ptr [ebx], 4', 'xchg [ebx], ecx', 'xadd [ebx], ecx',
      'cmpxchg [ebx], ecx', 'cmpxchg8b [ebx]', 'pop dword ptr [ebx]', 'rep movsd', 'rep stosd', 'bts dword ptr [ebx], ecx', 'neg dword ptr [ebx]']) {
      t.cpu.regs[3] = DATA; t.cpu.regs[1] = 2; t.cpu.regs[0] = 0x66; t.cpu.regs[2] = 0; t.cpu.regs[6] = DATA + 0x1000; t.cpu.regs[7] = DATA;
      setFlags(t, ZF);
      expect(run(t, asm(code)), code).toBe(14);
      expect([t.cpu.regs[0], t.cpu.regs[1], t.cpu.regs[2], t.cpu.regs[4], t.cpu.regs[6], t.cpu.regs[7], flags(t), rd32(t, DATA), t.cpu.cr2], code)
        .toEqual([0x66, 2, 0, STACK_TOP, DATA + 0x1000, DATA, ZF, 0x01020304, DATA]);
    }
  });

  it('#SS on a stack access beyond the SS limit; ESP unchanged by a faulting POPAD/CALL', () => {
    const t = machine();
    t.cpu.segLimit[2] = STACK_TOP - 8;
    expect(run(t, asm('popad'))).toBe(12);
    expect(t.cpu.regs[4]).toBe(STACK_TOP);
    t.cpu.segLimit[2] = STACK_TOP - 5;
    expect(run(t, asm('call 1f\n1: nop'))).toBe(12);
    expect([t.cpu.regs[4], t.cpu.eip]).toEqual([STACK_TOP, CODE]);
  });

  it('#UD for UD2 and undefined encodings, #BR for BOUND, #DE for DIV by zero', () => {
    const t = machine();
    expect(run(t, asm('ud2'))).toBe(6);
    wr32(t, DATA, 10); wr32(t, DATA + 4, 20);
    t.cpu.regs[0] = 21;
    expect(run(t, asm(`bound eax, [${DATA}]`))).toBe(5);
    t.cpu.regs[0] = 20;
    expect(run(t, asm(`bound eax, [${DATA}]`))).toBe(-1);
    t.cpu.regs[0] = 9;
    expect(run(t, asm(`bound ax, [${DATA}]`))).toBe(5);
    t.cpu.regs[1] = 0;
    expect(run(t, asm('div ecx'))).toBe(0);
  });

  it('DF set by STD is honoured and cleared by CLD; CLC/STC/CMC', () => {
    const t = machine();
    run(t, asm('std'));
    expect(t.cpu.eflags & DF).toBe(DF);
    run(t, asm('cld\nstc\ncmc\ncmc'));
    expect(t.cpu.eflags & DF).toBe(0);
    expect(flags(t) & CF).toBe(CF);
    t.cpu.regs[0] = 0;
    run(t, asm('.byte 0xd6 # salc'));
    expect(t.cpu.regs[0]).toBe(0xff);
  });
});

describe('REP MOVS/STOS page runs', () => {
  it('REP STOSD from a misaligned address across a page boundary', () => {
    const t = machine();
    t.cpu.regs[7] = 0x20ffe; t.cpu.regs[1] = 3; t.cpu.regs[0] = 0x11223344;
    run(t, asm('rep stosd'));
    expect([t.phys.read16(0x20ffe), rd32(t, 0x21000), rd32(t, 0x21004), t.phys.read16(0x21008), t.phys.read16(0x2100a)]).toEqual([0x3344, 0x33441122, 0x33441122, 0x1122, 0]);
    expect([t.cpu.regs[7], t.cpu.regs[1]]).toEqual([0x2100a, 0]);
  });

  it('REP MOVSD over three pages copies every byte; a forward overlapping MOVSB replicates', () => {
    const t = machine();
    for (let k = 0; k < 3 * 4096; k++) t.phys.u8[0x30000 + k] = (k * 7 + (k >> 8)) & 0xff;
    t.cpu.regs[6] = 0x30000; t.cpu.regs[7] = 0x40004; t.cpu.regs[1] = 3 * 1024;
    run(t, asm('rep movsd'));
    for (let k = 0; k < 3 * 4096; k++) if (t.phys.u8[0x40004 + k] !== ((k * 7 + (k >> 8)) & 0xff)) throw new Error(`byte ${k}`);
    expect([t.cpu.regs[6], t.cpu.regs[7], t.cpu.regs[1]]).toEqual([0x33000, 0x43004, 0]);
    t.phys.u8.set([0xab, 0xcd], 0x50000);
    t.cpu.regs[6] = 0x50000; t.cpu.regs[7] = 0x50002; t.cpu.regs[1] = 100;
    run(t, asm('rep movsw'));
    for (let k = 0; k <= 100; k++) expect(t.phys.u8[0x50000 + 2 * k]).toBe(0xab); // the first word and its 100 copies
  });

  it('REP STOS into a page holding translated code reports every write', () => {
    const t = machine();
    const writes: number[] = [];
    t.phys.onCodeWrite = (a) => writes.push(a);
    t.phys.codePages[0x60] = 1;
    t.cpu.regs[7] = 0x60000; t.cpu.regs[1] = 4; t.cpu.regs[0] = 0;
    run(t, asm('rep stosd'));
    expect(writes).toEqual([0x60000, 0x60004, 0x60008, 0x6000c]);
  });

  it('a page fault in the middle of REP STOSD stops at the first element of the missing page', () => {
    const t = machine();
    enablePaging(t, [], [0x31]);
    t.cpu.regs[7] = 0x30000; t.cpu.regs[1] = 2048; t.cpu.regs[0] = -1;
    expect(run(t, asm('rep stosd'))).toBe(14);
    expect([t.cpu.regs[7], t.cpu.regs[1], t.cpu.cr2, t.cpu.eip]).toEqual([0x31000, 1024, 0x31000, CODE]);
    expect(rd32(t, 0x30ffc)).toBe(-1);
  });
});

describe('REP MOVS/STOS page runs downwards (DF = 1)', () => {
  it('STD; REP MOVSD copies an overlapping block upwards like memmove, across pages', () => {
    const t = machine();
    const n = 3000; // dwords: spans three pages
    for (let k = 0; k < n; k++) wr32(t, 0x30000 + 4 * k, k * 0x01010101 + 7);
    // move [0x30000, +12000) up by 0x104 bytes, copying from the top down
    t.cpu.regs[6] = 0x30000 + 4 * (n - 1); t.cpu.regs[7] = 0x30104 + 4 * (n - 1); t.cpu.regs[1] = n;
    run(t, asm('std\nrep movsd\ncld'));
    for (let k = 0; k < n; k++) if (rd32(t, 0x30104 + 4 * k) !== ((k * 0x01010101 + 7) | 0)) throw new Error(`dword ${k}`);
    expect([t.cpu.regs[6], t.cpu.regs[7], t.cpu.regs[1]]).toEqual([0x30000 - 4, 0x30104 - 4, 0]);
  });

  it('STD; REP MOVSB with the destination just below the source replicates like the element loop', () => {
    const t = machine();
    t.phys.u8.set([1, 2, 3, 4, 5, 6, 7, 8], 0x30100);
    // copy downwards from 0x30107.. to 0x30106..: each byte moves one down, in order from the top
    t.cpu.regs[6] = 0x30107; t.cpu.regs[7] = 0x30106; t.cpu.regs[1] = 8;
    run(t, asm('std\nrep movsb\ncld'));
    // element loop: [0x30106] = [0x30107] = 8, [0x30105] = [0x30106] = 8 (already overwritten), ...
    expect([...t.phys.u8.subarray(0x300ff, 0x30108)]).toEqual([8, 8, 8, 8, 8, 8, 8, 8, 8]);
  });

  it('STD; REP STOSW fills downwards and stops at a missing page', () => {
    const t = machine();
    enablePaging(t, [], [0x2f]);
    t.cpu.regs[7] = 0x30ffe; t.cpu.regs[1] = 0x1000; t.cpu.regs[0] = 0xabcd;
    expect(run(t, asm('std\nrep stosw'))).toBe(14);
    expect([t.cpu.regs[7], t.cpu.regs[1], t.cpu.cr2]).toEqual([0x2fffe, 0x1000 - 0x800, 0x2fffe]);
    expect([t.phys.read16(0x30000), t.phys.read16(0x30ffe)]).toEqual([0xabcd, 0xabcd]);
  });
});

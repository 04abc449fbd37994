/**
 * Data movement and stack instructions: MOV forms, MOVZX/MOVSX, XCHG, XADD, CMPXCHG(8B), LEA,
 * CBW/CWDE/CWD/CDQ, XLAT, CMOVcc, SETcc, LAHF/SAHF, PUSH/POP (incl. ESP and segment registers),
 * PUSHA/POPA, PUSHF/POPF writable bits, ENTER/LEAVE. Expected values follow the SDM Vol. 2 text.
 */
import { describe, expect, it } from 'vitest';
import { runsThroughJit } from '../support/machine.js';
import { AF, ARITH, asm, CF, DATA, flags, machine, OF, PF, rd32, run, setFlags, SF, STACK_TOP, wr32, ZF } from './harness.js';
import { getEflags, setEflags } from '../../src/cpu/flags.js';

describe('moves', () => {
  it('MOV register, immediate, memory, moffs, byte registers', () => {
    const t = machine();
    run(t, asm(`mov eax, 0x11223344\nmov [${DATA}], eax\nmov bl, [${DATA + 1}]\nmov bh, 0x99\nmov cx, [${DATA + 2}]\nmov dword ptr [${DATA + 8}], -2`));
    expect(t.cpu.regs[3] & 0xffff).toBe(0x9933);
    expect(t.cpu.regs[1] & 0xffff).toBe(0x1122);
    expect(rd32(t, DATA + 8)).toBe(-2);
    // A1 / A2 moffs forms
    run(t, asm(`mov eax, ds:[${DATA + 8}]\nmov ds:[${DATA + 12}], al`));
    expect(t.cpu.regs[0]).toBe(-2);
    expect(rd32(t, DATA + 12)).toBe(0xfe);
  });

  it('MOVZX/MOVSX', () => {
    const t = machine();
    wr32(t, DATA, 0x8081);
    t.cpu.regs[3] = DATA;
    run(t, asm('movzx eax, byte ptr [ebx]\nmovsx ecx, byte ptr [ebx]\nmovsx edx, word ptr [ebx]\nmovzx si, byte ptr [ebx+1]'));
    expect([t.cpu.regs[0], t.cpu.regs[1], t.cpu.regs[2] >>> 0, t.cpu.regs[6] & 0xffff]).toEqual([0x81, -127, 0xffff8081, 0x80]);
  });

  it('XCHG register/memory, XADD, CMPXCHG success and failure', () => {
    const t = machine();
    wr32(t, DATA, 5);
    t.cpu.regs[0] = 7; t.cpu.regs[3] = DATA;
    run(t, asm('xchg [ebx], eax'));
    expect([rd32(t, DATA), t.cpu.regs[0]]).toEqual([7, 5]);
    t.cpu.regs[1] = 3;
    run(t, asm('xadd [ebx], ecx'));
    expect([rd32(t, DATA), t.cpu.regs[1]]).toEqual([10, 7]);
    t.cpu.regs[2] = 4;
    run(t, asm('xadd edx, edx')); // TEMP = 8; SRC = 4; DEST = 8
    expect(t.cpu.regs[2]).toBe(8);
    // CMPXCHG: EAX == [ebx] -> store ECX, ZF = 1
    t.cpu.regs[0] = 10; t.cpu.regs[1] = 99;
    run(t, asm('cmpxchg [ebx], ecx'));
    expect([rd32(t, DATA), t.cpu.regs[0], flags(t) & ZF]).toEqual([99, 10, ZF]);
    // not equal -> EAX = [ebx], ZF = 0, flags of CMP EAX, [ebx]
    run(t, asm('cmpxchg [ebx], ecx'));
    expect([rd32(t, DATA), t.cpu.regs[0], flags(t) & (ZF | CF | SF)]).toEqual([99, 99, CF | SF]);
    // byte form on registers
    t.cpu.regs[0] = 0x12; t.cpu.regs[2] = 0x34; t.cpu.regs[3] = 0x56;
    run(t, asm('cmpxchg dl, bl'));
    expect([t.cpu.regs[0] & 0xff, t.cpu.regs[2] & 0xff]).toEqual([0x34, 0x34]);
  });

  it('CMPXCHG8B', () => {
    const t = machine();
    wr32(t, DATA, 1); wr32(t, DATA + 4, 2);
    t.cpu.regs[0] = 1; t.cpu.regs[2] = 2; t.cpu.regs[3] = 0x33; t.cpu.regs[1] = 0x44;
    t.cpu.regs[6] = DATA;
    setFlags(t, ARITH & ~ZF);
    run(t, asm('cmpxchg8b [esi]'));
    expect([rd32(t, DATA), rd32(t, DATA + 4), flags(t)]).toEqual([0x33, 0x44, ARITH]);
    run(t, asm('cmpxchg8b [esi]')); // EDX:EAX = 2:1 differs now
    expect([t.cpu.regs[0], t.cpu.regs[2], flags(t)]).toEqual([0x33, 0x44, ARITH & ~ZF]);
  });

  it('LEA at 16/32 address and operand sizes', () => {
    const t = machine();
    t.cpu.regs[3] = 0x10000; t.cpu.regs[6] = 0xfff0;
    run(t, asm('lea eax, [ebx+esi*4+8]\nlea cx, [ebx+esi*4+8]\naddr16 lea edx, [bx+si+0x20]'));
    expect(t.cpu.regs[0]).toBe(0x10000 + 0xfff0 * 4 + 8);
    expect(t.cpu.regs[1] & 0xffff).toBe((0x10000 + 0xfff0 * 4 + 8) & 0xffff);
    expect(t.cpu.regs[2]).toBe(0x10); // (0 + 0xfff0 + 0x20) & 0xffff
  });

  it('CBW CWDE CWD CDQ', () => {
    const t = machine();
    t.cpu.regs[0] = 0x12345680;
    run(t, asm('cbw'));
    expect(t.cpu.regs[0] >>> 0).toBe(0x1234ff80);
    run(t, asm('cwde'));
    expect(t.cpu.regs[0] >>> 0).toBe(0xffffff80);
    t.cpu.regs[2] = 0x5555;
    run(t, asm('cdq'));
    expect(t.cpu.regs[2]).toBe(-1);
    t.cpu.regs[0] = 0x7fff; t.cpu.regs[2] = -1;
    run(t, asm('cwd'));
    expect(t.cpu.regs[2] >>> 0).toBe(0xffff0000);
  });

  it('XLAT with segment override and address size', () => {
    const t = machine();
    t.phys.write8(DATA + 0x80, 0xab);
    t.cpu.regs[3] = DATA; t.cpu.regs[0] = 0x80;
    run(t, asm('xlatb'));
    expect(t.cpu.regs[0]).toBe(0xab);
    t.cpu.segBase[4] = DATA; // FS
    t.cpu.regs[3] = 0; t.cpu.regs[0] = 0x80;
    run(t, asm('fs xlatb'));
    expect(t.cpu.regs[0]).toBe(0xab);
  });

  it('SETcc and CMOVcc follow every condition after CMP', () => {
    const t = machine();
    const cases: Array<[number, number]> = [[1, 2], [2, 1], [5, 5], [-1, 1], [1, -1], [0x7fffffff, -1], [-0x80000000, 1]];
    const names = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
    for (const [a, b] of cases) {
      for (let cc = 0; cc < 16; cc++) {
        t.cpu.regs[0] = a; t.cpu.regs[3] = b; t.cpu.regs[1] = 0x1111; t.cpu.regs[2] = 0x2222;
        run(t, asm(`cmp eax, ebx\nset${names[cc]} cl\ncmov${names[cc]} edx, eax`));
        const ru = (a - b) | 0;
        const ua = a >>> 0, ub = b >>> 0;
        const of = (a < 0) !== (b < 0) && (ru < 0) !== (a < 0);
        const pf = [...Array(8).keys()].filter((k) => (ru >> k) & 1).length % 2 === 0;
        const conds = [of, !of, ua < ub, ua >= ub, a === b, a !== b, ua <= ub, ua > ub, ru < 0, ru >= 0, pf, !pf, a < b, a >= b, a <= b, a > b];
        const want = conds[cc];
        expect([a, b, names[cc], t.cpu.regs[1] & 0xff, t.cpu.regs[2]]).toEqual([a, b, names[cc], want ? 1 : 0, want ? a : 0x2222]);
      }
    }
  });

  it('LAHF/SAHF', () => {
    const t = machine();
    setFlags(t, SF | AF | CF | OF);
    run(t, asm('lahf'));
    expect((t.cpu.regs[0] >> 8) & 0xff).toBe(0x80 | 0x10 | 0x02 | 0x01);
    t.cpu.regs[0] = 0x4400;
    run(t, asm('sahf'));
    expect(flags(t)).toBe(ZF | PF | OF); // OF is not touched by SAHF
  });
});

describe('stack', () => {
  it('PUSH/POP registers, immediates, memory; PUSH ESP pushes the old value; POP ESP', () => {
    const t = machine();
    t.cpu.regs[0] = 0x11;
    run(t, asm('push eax\npush -2\npush 0x12345678\npush esp\npop ebx\npop ecx\npop edx\npop esi'));
    expect([t.cpu.regs[3], t.cpu.regs[1], t.cpu.regs[2], t.cpu.regs[6], t.cpu.regs[4]]).toEqual([STACK_TOP - 12, 0x12345678, -2, 0x11, STACK_TOP]);
    run(t, asm('push 0x777\npop esp'));
    expect(t.cpu.regs[4]).toBe(0x777);
  });

  it('POP [ESP+d] uses ESP after the increment; PUSH [ESP] the one before', () => {
    const t = machine();
    run(t, asm('push 1\npush 2\npop dword ptr [esp]'));
    // popped 2, ESP now points at the slot holding 1, which gets 2
    expect(t.cpu.regs[4]).toBe(STACK_TOP - 4);
    expect(rd32(t, STACK_TOP - 4)).toBe(2);
    run(t, asm('push dword ptr [esp]'));
    expect(rd32(t, STACK_TOP - 8)).toBe(2);
  });

  it('16-bit PUSH/POP and segment registers (a 32-bit push zero-extends the selector)', () => {
    const t = machine();
    wr32(t, STACK_TOP - 4, -1);
    run(t, asm('push es'));
    expect(t.cpu.regs[4]).toBe(STACK_TOP - 4);
    expect(rd32(t, STACK_TOP - 4) >>> 0).toBe(0x00000010);
    run(t, asm('pushw es\npop ax'));
    expect(t.cpu.regs[0] & 0xffff).toBe(0x10);
    run(t, asm('push ax\npop bx'));
    expect(t.cpu.regs[4]).toBe(STACK_TOP - 4);
    t.cpu.segSel[3] = 0;
    expect(run(t, asm('pop ds'))).toBe(-1);
    expect(t.cpu.regs[4]).toBe(STACK_TOP);
    expect(t.cpu.segSel[3]).toBe(0x10);
  });

  it('POP SS moves SP by the OLD stack size even when the new SS is 32-bit', () => {
    const t = machine();
    t.cpu.segAttr[2] = 0x93; // SS.B = 0: a 16-bit stack
    t.cpu.stack32 = false;
    t.cpu.regs[4] = 0x2fffc;
    wr32(t, 0xfffc, 0x10); // the 32-bit flat data selector
    expect(run(t, asm('pop ss'))).toBe(-1);
    expect(t.cpu.regs[4]).toBe(0x20000); // SP wrapped 0xfffc + 4 -> 0, upper half kept
    expect(t.cpu.stack32).toBe(true);
    // Through the JIT, run() stops at a UD2 after the code, which spends the shadow (run-jit.ts).
    if (!runsThroughJit()) expect(t.cpu.intShadow).toBe(true);
  });

  it('PUSHA/POPA (POPA skips ESP)', () => {
    const t = machine();
    for (let r = 0; r < 8; r++) if (r !== 4) t.cpu.regs[r] = 0x100 + r;
    run(t, asm('pushad'));
    expect(t.cpu.regs[4]).toBe(STACK_TOP - 32);
    for (let r = 0; r < 8; r++) expect(rd32(t, STACK_TOP - 4 * (r + 1))).toBe(r === 4 ? STACK_TOP : 0x100 + r);
    for (let r = 0; r < 8; r++) if (r !== 4) t.cpu.regs[r] = 0;
    wr32(t, STACK_TOP - 20, 0x5555); // the saved ESP slot is ignored
    run(t, asm('popad'));
    for (let r = 0; r < 8; r++) expect(t.cpu.regs[r]).toBe(r === 4 ? STACK_TOP : 0x100 + r);
    run(t, asm('pushaw'));
    expect(t.cpu.regs[4]).toBe(STACK_TOP - 16);
  });

  it('PUSHF clears VM/RF in the image; POPF writable bits by CPL and IOPL', () => {
    const t = machine();
    setEflags(t.cpu, 0x10000 | 0x200 | CF); // RF IF CF
    run(t, asm('pushfd'));
    expect(rd32(t, STACK_TOP - 4)).toBe(0x202 | CF);
    // CPL 0: may set IOPL and clear IF; RF cleared by a 32-bit POPF; VM/VIF/VIP untouched
    wr32(t, STACK_TOP - 4, 0x3000 | 0x3a0000 | 0x40000 | 0x200000 | 0x8d5);
    run(t, asm('popfd'));
    expect(getEflags(t.cpu) >>> 0).toBe(0x3000 | 0x40000 | 0x200000 | 0x8d5 | 2);
    // CPL 3, IOPL 0: IF and IOPL stay
    t.cpu.cpl = 3;
    setEflags(t.cpu, 0x200);
    t.cpu.regs[4] = STACK_TOP - 4;
    wr32(t, STACK_TOP - 4, 0x3000 | 0x400 | 1);
    run(t, asm('popfd'));
    expect(getEflags(t.cpu) >>> 0).toBe(0x200 | 0x400 | 1 | 2);
    // CPL 3, IOPL 3: IF writable, IOPL still not
    setEflags(t.cpu, 0x3000);
    t.cpu.regs[4] = STACK_TOP - 4;
    wr32(t, STACK_TOP - 4, 0x200);
    run(t, asm('popfd'));
    expect(getEflags(t.cpu) >>> 0).toBe(0x3000 | 0x200 | 2);
    // 16-bit POPF touches only the low word
    t.cpu.cpl = 0;
    setEflags(t.cpu, 0x40000 | 0x200);
    t.cpu.regs[4] = STACK_TOP - 2;
    t.phys.write16(STACK_TOP - 2, 0x0001);
    run(t, asm('popfw'));
    expect(getEflags(t.cpu) >>> 0).toBe(0x40000 | 1 | 2);
    expect(t.cpu.regs[4]).toBe(STACK_TOP);
  });

  it('ENTER with nesting levels, LEAVE', () => {
    const t = machine();
    t.cpu.regs[5] = 0x7f000; // old frame, with two saved frame pointers above it
    wr32(t, 0x7f000 - 4, 0xaaaa);
    wr32(t, 0x7f000 - 8, 0xbbbb);
    run(t, asm('enter 0x10, 3'));
    const frame = STACK_TOP - 4;
    expect(rd32(t, STACK_TOP - 4)).toBe(0x7f000); // pushed EBP
    expect(rd32(t, STACK_TOP - 8)).toBe(0xaaaa); // copied display
    expect(rd32(t, STACK_TOP - 12)).toBe(0xbbbb);
    expect(rd32(t, STACK_TOP - 16)).toBe(frame); // new frame pointer
    expect(t.cpu.regs[5]).toBe(frame);
    expect(t.cpu.regs[4]).toBe(STACK_TOP - 16 - 0x10);
    run(t, asm('leave'));
    expect([t.cpu.regs[5], t.cpu.regs[4]]).toEqual([0x7f000, STACK_TOP]);
    run(t, asm('enter 8, 0'));
    expect([t.cpu.regs[5], t.cpu.regs[4]]).toEqual([STACK_TOP - 4, STACK_TOP - 12]);
  });

  it('ENTER with a 32-bit operand size on a 16-bit stack keeps ESP/EBP upper halves in FrameTemp', () => {
    const t = machine();
    t.cpu.segAttr[2] = 0x93;
    t.cpu.stack32 = false;
    t.cpu.regs[4] = 0x10000; // SP = 0
    t.cpu.regs[5] = 0x1ffec;
    run(t, asm('enter 8, 1'));
    // push EBP at SP 0xfffc; FrameTemp = ESP = 0x1fffc; push FrameTemp at 0xfff8; SP -= 8
    expect(rd32(t, 0xfffc)).toBe(0x1ffec);
    expect(rd32(t, 0xfff8)).toBe(0x1fffc);
    expect([t.cpu.regs[5], t.cpu.regs[4]]).toEqual([0x1fffc, 0x1fff0]);
  });

  it('ENTER faults when a write at the final stack pointer would, changing no register', () => {
    const t = machine();
    t.cpu.segAttr[2] = 0x4097; // expand-down, big: offsets above the limit are valid
    t.cpu.segLimit[2] = STACK_TOP - 0x10;
    t.cpu.regs[5] = 0x1234;
    expect(run(t, asm('enter 0x10, 0'))).toBe(12);
    expect([t.cpu.regs[5], t.cpu.regs[4]]).toEqual([0x1234, STACK_TOP]);
    expect(run(t, asm('enter 0x8, 0'))).toBe(-1);
  });
});

describe('16-bit code', () => {
  it('[bp+..] addresses SS, [bx+..] DS; 16-bit ALU, PUSH/POP, string ops with SI/DI', () => {
    const t = machine({ code16: true });
    t.cpu.segBase[2] = 0x40000; // SS
    t.cpu.segBase[3] = 0x50000; // DS
    t.cpu.segBase[0] = 0x60000; // ES
    t.cpu.regs[4] = 0x1000; // SP
    t.cpu.regs[5] = 0x100; t.cpu.regs[7] = 0x10; t.cpu.regs[3] = 0x200; t.cpu.regs[6] = 0x8;
    t.phys.write16(0x40000 + 0x114, 0x1234);
    t.phys.write16(0x50000 + 0x208, 0x00ff);
    t.cpu.regs[0] = 0x0101;
    run(t, asm('add [bp+di+4], ax\nadd al, [bx+si]\npush word ptr [bx+si]\npop cx\nmov si, 0x208\nmov di, 0x20\nmovsw', 16));
    expect(t.phys.read16(0x40000 + 0x114)).toBe(0x1335);
    expect(t.cpu.regs[0] & 0xffff).toBe(0x0100); // 0x01 + 0xff = 0x100 -> AL = 0, carry
    expect(t.cpu.regs[1] & 0xffff).toBe(0x00ff);
    expect(t.phys.read16(0x60000 + 0x20)).toBe(0x00ff);
    expect([t.cpu.regs[6] & 0xffff, t.cpu.regs[7] & 0xffff, t.cpu.regs[4]]).toEqual([0x20a, 0x22, 0x1000]);
  });
});

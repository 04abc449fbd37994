/**
 * Stack, control-transfer, string and faulting forms. The stack lives in the scratch page (ESP is
 * tracked by the builder); branch targets stay inside the sequence or land exactly at its end; string
 * instructions get ESI/EDI/ECX preludes pointing into the data area with small counts, for DF = 0/1.
 */
import { ABSENT_PAGE, RO_PAGE, SCRATCH_ADDR, USER_CS, USER_DS } from '../format.js';
import { F, R, SeqBuilder } from './builder.js';
import { bits, filler, formList, modrmReg, p66, rmOperand, segSelector, SZ, w } from './form-kit.js';
import { value32 } from './rng.js';

export const { forms: flowForms, add } = formList();
const { CF, AF, ZF, DF, ARITH } = F;

// ------------------------------------------------------------------ stack
/**
 * A 32-bit push of a segment register (PUSH sreg, the CS slot of a far CALL) either zero-extends
 * the selector or writes only its low 16 bits (SDM Vol. 2 PUSH: recent Intel cores do the 16-bit
 * write; AMD zero-extends). Zeroing the slot first (mov dword [esp-4], 0) makes both agree.
 */
function zeroSlot(b: SeqBuilder): void {
  b.emit(0xc7, 0x44, 0x24, 0xfc, 0, 0, 0, 0);
}
for (const s of [2, 4]) {
  const n = bits(s);
  add(`push r${n} (50+r)`, (b) => { b.stackRoom(4); b.emit(...p66(s), 0x50 + b.rng.below(8)); b.espOff -= s; });
  add(`pop r${n} (58+r)`, (b) => { b.stackRoom(4); b.emit(...p66(s), 0x58 + b.reg32()); b.espOff += s; });
  add(`push imm8 o${n}`, (b) => { b.stackRoom(4); b.emit(...p66(s), 0x6a, b.rng.below(256)); b.espOff -= s; });
  add(`push imm${n}`, (b) => { b.stackRoom(4); b.emit(...p66(s), 0x68, ...b.imm(value32(b.rng), s)); b.espOff -= s; });
  for (const mem of [false, true]) {
    const kind = mem ? 'mem' : 'reg';
    add(`push r/m${n} ${kind}`, (b) => {
      b.stackRoom(4);
      const o = rmOperand(b, mem, s, 6, false);
      b.emit(...p66(s), ...o.pre, 0xff, ...o.tail);
      b.espOff -= s;
    });
    add(`pop r/m${n} ${kind}`, (b) => {
      b.stackRoom(4);
      // [esp+disp] addressing of POP uses ESP after the increment (SDM Vol. 2 POP): keep it simple
      // by resetting ESP-relative shapes out of the picture (the builder's [esp] shape uses espOff).
      const saved = b.espOff;
      b.espOff += s; // an [esp + d] operand is computed with the incremented ESP
      const o = rmOperand(b, mem, s, 0, true);
      b.espOff = saved;
      b.emit(...p66(s), ...o.pre, 0x8f, ...o.tail);
      b.espOff += s;
    });
  }
  add(`pusha o${n}`, (b) => { b.stackRoom(8 * s); b.emit(...p66(s), 0x60); b.espOff -= 8 * s; });
  add(`popa o${n}`, (b) => { b.stackRoom(8 * s); b.emit(...p66(s), 0x61); b.espOff += 8 * s; });
  add(`pushf o${n}`, (b) => { b.stackRoom(4); b.needFlags(ARITH); b.emit(...p66(s), 0x9c); b.espOff -= s; });
  add(`popf o${n}`, (b) => {
    b.stackRoom(4);
    // the pushed image: arithmetic flags, DF, NT and ID (user-writable); never TF or AC
    // (IF and IOPL are in the image too: POPF at CPL 3 / IOPL 0 must ignore them, SDM Vol. 2 POPF)
    const v = (b.rng.u32() & (ARITH | DF | 0x4000 | 0x200000 | 0x3200)) | 2;
    b.emit(0x68, ...b.imm(v, 4));
    if (s === 2) b.emit(0x66, 0x9d); else b.emit(0x9d);
    b.espOff += s - 4;
    b.df = (v & DF) ? 1 : 0;
    b.flags(ARITH);
  });
}
add('push sreg', (b) => {
  b.stackRoom(4);
  const o16 = b.rng.chance(0.3);
  if (!o16) zeroSlot(b);
  b.emit(...(o16 ? [0x66] : []), b.rng.pick([0x06, 0x0e, 0x16, 0x1e]));
  b.espOff -= o16 ? 2 : 4;
});
add('pop es/ds/ss', (b) => {
  b.stackRoom(4);
  const op = b.rng.pick([0x07, 0x1f, 0x07, 0x1f, 0x17]); // POP ES / DS / SS
  const sel = segSelector(b, op === 0x17);
  b.emit(0x68, ...b.imm(sel, 4), op);
});
add('enter imm16,imm8', (b) => {
  b.stackRoom(64);
  const level = b.rng.pick([0, 0, 1, 2, 3, 33]);
  const size = b.rng.below(24);
  b.setReg(R.EBP, SCRATCH_ADDR + 0x1c0 + b.rng.below(16) * 4);
  b.emit(...b.imm(0xc8, 1), ...b.imm(size, 2), level);
  b.espOff -= 4 + 4 * (level & 31) + size;
});
add('enter imm16,imm8 o16', (b) => {
  // 16-bit ENTER on a 32-bit stack: pushes BP, BP = low 16 bits of the frame pointer, ESP moves
  b.stackRoom(40);
  const level = b.rng.pick([0, 0, 1, 2]);
  const size = b.rng.below(16);
  b.setReg(R.EBP, SCRATCH_ADDR + 0x1c0 + b.rng.below(16) * 2);
  b.emit(0x66, 0xc8, ...b.imm(size, 2), level);
  b.espOff -= 2 + 2 * level + size;
});
add('leave', (b) => {
  const off = 0x140 + b.rng.below(32) * 4;
  b.setReg(R.EBP, SCRATCH_ADDR + off);
  const o16 = b.rng.chance(0.2);
  b.emit(...(o16 ? [0x66] : []), 0xc9);
  b.espOff = off + (o16 ? 2 : 4); // ESP = EBP (32-bit stack), then POP BP / EBP
});

// ------------------------------------------------------------------ control transfer
add('jmp rel8', (b) => { const f = filler(b); b.emit(0xeb, f.length, ...f); });
add('jmp rel32', (b) => { const f = filler(b); b.emit(0xe9, ...b.imm(f.length, 4), ...f); });
add('jmp r/m32', (b) => {
  const f = filler(b);
  if (b.rng.chance(0.5)) {
    // the target is stored right before (mov dword [off], target): a patch could be overwritten
    const off = b.dataOff(4);
    const store = b.code.length;
    b.emit(0xc7, 0x05, ...b.imm(SCRATCH_ADDR + off, 4), 0, 0, 0, 0);
    const tail = b.memAt(off, 4);
    const target = b.pc + 1 + tail.length + f.length; // right after the filler
    for (let k = 0; k < 4; k++) b.code[store + 6 + k] = (target >>> (8 * k)) & 0xff;
    b.emit(0xff, ...tail, ...f);
  } else {
    const r = b.reg32();
    b.setReg(r, b.pc + 5 + 2 + f.length);
    b.emit(0xff, modrmReg(4, r), ...f);
  }
});
add('call rel32', (b) => {
  b.stackRoom(4);
  const f = filler(b);
  b.emit(0xe8, ...b.imm(f.length, 4), ...f);
  b.espOff -= 4;
});
add('call r/m32', (b) => {
  b.stackRoom(4);
  const f = filler(b);
  if (b.rng.chance(0.5)) {
    const off = b.dataOff(4);
    const store = b.code.length;
    b.emit(0xc7, 0x05, ...b.imm(SCRATCH_ADDR + off, 4), 0, 0, 0, 0);
    const tail = b.memAt(off, 2);
    const target = b.pc + 1 + tail.length + f.length;
    for (let k = 0; k < 4; k++) b.code[store + 6 + k] = (target >>> (8 * k)) & 0xff;
    b.emit(0xff, ...tail, ...f);
  } else {
    const r = b.reg32();
    b.setReg(r, b.pc + 5 + 2 + f.length);
    b.emit(0xff, modrmReg(2, r), ...f);
  }
  b.espOff -= 4;
});
add('ret', (b) => {
  b.stackRoom(4);
  b.emit(0x68, ...b.imm(b.pc + 6, 4), 0xc3);
});
add('ret imm16', (b) => {
  b.stackRoom(40);
  const k = b.rng.below(9) * 4;
  b.emit(0x68, ...b.imm(b.pc + 8, 4), 0xc2, ...b.imm(k, 2));
  b.espOff += k;
});
for (const [op, opc, reads] of [['loop', 0xe2, 0], ['loope', 0xe1, ZF], ['loopne', 0xe0, ZF]] as const) {
  for (const a16 of [false, true]) {
    add(`${op} rel8${a16 ? ' a16' : ''}`, (b) => {
      // mov ecx, n; L: <body>; loop L  (the body defines ZF for LOOPE/LOOPNE)
      const n = b.rng.range(0, 5);
      b.setReg(R.ECX, a16 ? (value32(b.rng) & ~0xffff) | n : n === 0 ? (b.rng.chance(0.5) ? 1 : 2) : n);
      const r = b.reg32(1 << R.ECX);
      const body = reads ? [0x83, modrmReg(7, r), b.rng.pick([0, 1, 0xff, 2])] : [0x83, modrmReg(0, r), 1];
      b.emit(...body, ...(a16 ? [0x67] : []), opc, (-(body.length + 2 + (a16 ? 1 : 0))) & 0xff);
      b.flags(ARITH);
    });
  }
}
add('jecxz rel8', (b) => {
  if (b.rng.chance(0.5)) b.setReg(R.ECX, b.rng.chance(0.5) ? 0 : 0x10000);
  const f = filler(b);
  b.emit(0xe3, f.length, ...f);
});
add('jcxz rel8 (a16)', (b) => {
  if (b.rng.chance(0.5)) b.setReg(R.ECX, b.rng.chance(0.5) ? 0 : 0x10000);
  const f = filler(b);
  b.emit(0x67, 0xe3, f.length, ...f);
});

// ------------------------------------------------------------------ strings (MOVS CMPS STOS LODS SCAS)
const STR = [
  ['movs', 0xa4, false, 'rep'],
  ['cmps', 0xa6, true, 'repcc'],
  ['stos', 0xaa, false, 'rep'],
  ['lods', 0xac, false, 'rep'],
  ['scas', 0xae, true, 'repcc'],
] as const;
for (const [op, opc, setsFlags, repKind] of STR) {
  for (const s of SZ) {
    const reps = repKind === 'rep' ? [null, 0xf3] : [null, 0xf3, 0xf2];
    for (const rep of reps) {
      const repName = rep === null ? '' : rep === 0xf3 ? (repKind === 'rep' ? 'rep ' : 'repe ') : 'repne ';
      add(`${repName}${op}${['b', 'w', 'd'][s >> 1]}`, (b) => {
        const r = b.rng;
        const cnt = rep === null ? 0 : r.range(0, 8);
        // src/dst in 0x40..0xff so that 8 elements fit either way (DF = 1 walks down)
        b.setReg(R.ESI, SCRATCH_ADDR + 0x40 + r.below(0xc0 - 8 * s) );
        b.setReg(R.EDI, SCRATCH_ADDR + 0x40 + r.below(0xc0 - 8 * s));
        if (rep !== null) b.setReg(R.ECX, cnt);
        if (opc === 0xa6 || opc === 0xae) {
          // compare loops: make equal runs likely by copying a pattern (AL/AX/EAX = value at EDI)
          if (opc === 0xae && r.chance(0.5)) b.setReg(R.EAX, 0);
        }
        const seg = (opc === 0xa4 || opc === 0xa6 || opc === 0xac) ? b.segPrefix(false) : [];
        b.emit(...(rep === null ? [] : [rep]), ...p66(s), ...seg, opc + w(s));
        if (setsFlags && (rep === null || cnt > 0)) b.flags(ARITH);
      });
    }
  }
}

// Long REP runs (0..128 elements): the interpreter's bulk paths, with overlapping source and
// destination (forwards and backwards, as memmove does) and across the boundary between the two
// scratch pages. Regions: [0, 0x300) (data, stack and x87-image areas: overwriting them is fine)
// or the compared window [0xf80, 0x1080) around the page boundary.
for (const [op, opc, setsFlags] of [['movs', 0xa4, false], ['stos', 0xaa, false], ['lods', 0xac, false], ['cmps', 0xa6, true], ['scas', 0xae, true]] as const) {
  for (const s of SZ) {
    add(`rep ${op}${['b', 'w', 'd'][s >> 1]} long`, (b) => {
      const r = b.rng;
      const rep = setsFlags && r.chance(0.5) ? 0xf2 : 0xf3;
      const [lo, hi] = r.chance(0.5) ? [0, 0x300] : [0xf80, 0x1080];
      const cnt = r.chance(0.1) ? 0 : r.range(1, Math.min(128, ((hi - lo) / s) | 0) >> (r.chance(0.5) ? 2 : 0));
      const bytes = cnt * s;
      // a start address from which cnt elements stay inside [lo, hi) in the direction of DF
      const start = (): number => (b.df === 0 ? lo + r.below(hi - lo - bytes + 1) : lo + bytes - s + r.below(hi - lo - bytes + 1));
      const src = start();
      let dst = start();
      if (opc !== 0xaa && opc !== 0xac && r.chance(0.4)) {
        // overlap: the destination a few bytes after or before the source (or equal: CMPS runs long)
        const d = opc === 0xa6 && r.chance(0.5) ? 0 : r.range(-8, 8);
        if (src + d >= lo && src + d + (b.df === 0 ? bytes : s) <= hi && src + d - (b.df === 0 ? 0 : bytes - s) >= lo) dst = src + d;
      }
      b.setReg(R.ESI, SCRATCH_ADDR + src);
      b.setReg(R.EDI, SCRATCH_ADDR + dst);
      b.setReg(R.ECX, cnt);
      if (opc === 0xae) b.setReg(R.EAX, r.chance(0.5) ? 0 : value32(r));
      b.emit(rep, ...p66(s), opc + w(s));
      if (setsFlags && cnt > 0) b.flags(ARITH);
    });
  }
}

// ------------------------------------------------------------------ BOUND (#BR when out of range)
for (const s of [2, 4]) {
  add(`bound r${bits(s)},m${bits(s)}&${bits(s)}`, (b) => {
    const r = b.rng;
    const off = b.dataOff(2 * s);
    const lo = value32(r) & (s === 2 ? 0xffff : -1);
    const hi = r.chance(0.7) ? (lo + r.below(1000)) & (s === 2 ? 0xffff : -1) : value32(r);
    if (s === 2) b.patch(off, (lo & 0xffff) | (hi << 16));
    else { b.patch(off, lo); b.patch(off + 4, hi); }
    const reg = b.reg32();
    const inside = r.chance(0.6);
    const sx = (x: number): number => (s === 2 ? (x << 16) >> 16 : x | 0);
    const v = inside && sx(hi) >= sx(lo) ? sx(lo) + r.below(sx(hi) - sx(lo) + 1) : value32(r);
    b.setReg(reg, v);
    b.avoid = 1 << reg;
    const tail = b.memAt(off, reg);
    b.avoid = 0;
    b.emit(...p66(s), 0x62, ...tail);
  });
}

// ------------------------------------------------------------------ faults (vector compared)
add('ud2', (b) => b.emit(0x0f, 0x0b));
add('hlt (#GP at CPL 3)', (b) => b.emit(0xf4));
add('cli (#GP at IOPL 0)', (b) => b.emit(0xfa));
add('sti (#GP at IOPL 0)', (b) => b.emit(0xfb));
add('mov r32,cr0 (#GP at CPL 3)', (b) => b.emit(0x0f, 0x20, modrmReg(0, b.reg32())));
add('invalid: fe /7', (b) => b.emit(0xfe, modrmReg(7, b.reg32())));
add('invalid: lea with register operand', (b) => b.emit(0x8d, modrmReg(b.reg32(), b.reg32())));
add('lock on a register form (#UD)', (b) => b.emit(0xf0, 0x01, modrmReg(b.reg32(), b.reg32())));
// Self-modifying code: a store into the instruction that follows (its immediate, or its opcode:
// INC <-> DEC). x86 sees the new bytes (SDM Vol. 3 §11.6); the JIT must drop the running block.
add('self-modifying code (next instruction)', (b) => {
  const r = b.reg32();
  if (b.rng.chance(0.5)) {
    const target = b.pc + 7 + 2; // imm8 of the `add r32, imm8` after this 7-byte store
    b.emit(0xc6, 0x05, ...b.imm(target, 4), b.rng.below(256)); // mov byte [target], imm8
    b.emit(0x83, 0xc0 | r, b.rng.below(256));
    b.flags(ARITH);
  } else {
    const target = b.pc + 7;
    b.emit(0xc6, 0x05, ...b.imm(target, 4), 0x48 + r); // dec r32 instead of inc
    b.emit(0x40 + r);
    b.flags(ARITH & ~CF); // INC/DEC leave CF alone
  }
});
// Page faults (sequences the interpreter runs with paging on): a write to the read-only page
// (#PF, error code P|W|U = 7), a read or write of the never-mapped page (4 / 6), CR2 = the address;
// accesses that straddle into those pages fault with CR2 at the page start. With paging off the
// form only reads the read-only page (zeros on both sides).
add('page fault (#PF: read-only / absent page)', (b) => {
  const k = b.paging ? b.rng.below(5) : 0;
  const r = b.reg32();
  const page = k === 1 || k === 4 ? RO_PAGE : ABSENT_PAGE;
  const off = k === 4 ? -2 : b.rng.below(4096 - 4); // k = 4: a dword write straddling rw -> ro
  const addr = k === 0 ? RO_PAGE + b.rng.below(4096 - 4) : page + off;
  const write = k === 1 || k === 3 || k === 4;
  b.emit(write ? 0x89 : 0x8b, 0x05 | (r << 3), ...b.imm(addr, 4));
});
add('lock on a non-lockable memory form (#UD)', (b) => {
  // MOV, CMP, TEST and loads are not lockable (SDM Vol. 2 LOCK): #UD even with a memory operand
  const op = b.rng.pick([0x89, 0x8b, 0x39, 0x3b, 0x85]);
  const tail = b.memAt(b.dataOff(4), b.reg32());
  b.emit(0xf0, op, ...tail);
});
add('into (no overflow)', (b) => {
  const r = b.reg32();
  b.emit(0x85, modrmReg(r, r), 0xce); // TEST clears OF, so INTO does not trap
  b.flags(ARITH, AF);
});
add('write through cs (#GP)', (b) => {
  const tail = b.memAt(b.dataOff(4), b.reg32());
  b.emit(0x2e, 0x89, ...tail);
});

// ------------------------------------------------------------------ ESP as an explicit operand
add('inc esp / dec esp', (b) => {
  const inc = b.rng.chance(0.5);
  b.emit(inc ? 0x44 : 0x4c);
  b.espOff += inc ? 1 : -1;
  b.flags(ARITH & ~CF);
});
add('pop esp', (b) => {
  b.stackRoom(8);
  const off = 0x140 + b.rng.below(0x60);
  b.emit(0x68, ...b.imm(SCRATCH_ADDR + off, 4), 0x5c); // push new value; pop esp
  b.espOff = off;
});
add('mov esp,imm32 (BC)', (b) => {
  const off = 0x140 + b.rng.below(0x60);
  b.emit(0xbc, ...b.imm(SCRATCH_ADDR + off, 4));
  b.espOff = off;
});
add('xchg eax,esp (94)', (b) => {
  const off = 0x140 + b.rng.below(0x60);
  b.setReg(R.EAX, SCRATCH_ADDR + off);
  b.emit(0x94);
  b.espOff = off;
});
add('bswap esp (twice)', (b) => b.emit(0x0f, 0xcc, 0x0f, 0xcc));

// ------------------------------------------------------------------ far transfers to the same privilege
/** The far-pointer target: the next instruction after `skip` bytes (CS = the user code selector). */
add('jmp far ptr16:32 (EA)', (b) => {
  const f = filler(b);
  b.emit(0xea, ...b.imm(b.pc + 7 + f.length, 4), ...b.imm(USER_CS, 2), ...f);
});
add('call far ptr16:32 (9A)', (b) => {
  b.stackRoom(8);
  const f = filler(b);
  zeroSlot(b); // the CS slot is "padded with 16 high-order bits" (SDM Vol. 2 CALL)
  b.emit(0x9a, ...b.imm(b.pc + 7 + f.length, 4), ...b.imm(USER_CS, 2), ...f);
  b.espOff -= 8;
});
for (const [name, reg] of [['call far m16:32 (FF /3)', 3], ['jmp far m16:32 (FF /5)', 5]] as const) {
  add(name, (b) => {
    b.stackRoom(8);
    const f = filler(b);
    const off = b.dataOff(6) & ~1;
    const store = b.code.length;
    b.emit(0xc7, 0x05, ...b.imm(SCRATCH_ADDR + off, 4), 0, 0, 0, 0); // mov dword [off], target
    b.emit(0x66, 0xc7, 0x05, ...b.imm(SCRATCH_ADDR + off + 4, 4), ...b.imm(USER_CS, 2));
    const tail = b.memAt(off, reg);
    if (reg === 3) zeroSlot(b);
    const target = b.pc + 1 + tail.length + f.length;
    for (let k = 0; k < 4; k++) b.code[store + 6 + k] = (target >>> (8 * k)) & 0xff;
    b.emit(0xff, ...tail, ...f);
    if (reg === 3) b.espOff -= 8;
  });
}
add('retf', (b) => {
  b.stackRoom(8);
  b.emit(0x6a, USER_CS, 0x68, ...b.imm(b.pc + 2 + 5 + 1, 4), 0xcb);
});
add('retf imm16', (b) => {
  b.stackRoom(48);
  const k = b.rng.below(9) * 4;
  b.emit(0x6a, USER_CS, 0x68, ...b.imm(b.pc + 2 + 5 + 3, 4), 0xca, ...b.imm(k, 2));
  b.espOff += k;
});
add('iret (same privilege)', (b) => {
  b.stackRoom(12);
  // EFLAGS image: arithmetic flags, DF, ID and the bits CPL 3 cannot change (IF, IOPL): never TF/AC/NT
  const v = (b.rng.u32() & (ARITH | DF | 0x200000 | 0x3200)) | 2;
  // NT must be clear (an earlier POPF may have set it): IRET with NT = 1 is a task return on an
  // i686 (#TS here) but #GP on the host, whose 32-bit processes run in IA-32e compatibility mode.
  b.emit(0x68, ...b.imm(b.rng.u32() & ARITH, 4), 0x9d); // push imm32; popfd
  b.emit(0x68, ...b.imm(v, 4), 0x6a, USER_CS, 0x68, ...b.imm(b.pc + 5 + 2 + 5 + 1, 4), 0xcf);
  b.df = v & DF ? 1 : 0;
  b.flags(ARITH);
});

// ------------------------------------------------------------------ selectors: ARPL LAR LSL VERR VERW, far pointer loads
/** Selectors whose descriptors are the same natively and in the interpreter (README). */
// (the host GDT/LDT hold more descriptors than ours: only selectors both sides agree on)
const SELECTORS = [USER_CS, USER_DS, 0x20, 0x28, 0x21, 0x2a, 0x22, 0x29, 0, 1, 3, 0xfff8, 0xfffb];
const selector = (b: SeqBuilder): number => b.rng.pick(SELECTORS);
for (const mem of [false, true]) {
  const kind = mem ? 'mem' : 'reg';
  add(`arpl r/m16,r16 ${kind}`, (b) => {
    const o = rmOperand(b, mem, 2, b.reg32(), true);
    b.emit(...o.pre, 0x63, ...o.tail);
    b.flags(ZF);
  });
  for (const [name, op2, isReg] of [['lar', 0x02, true], ['lsl', 0x03, true], ['verr', 0x00, false], ['verw', 0x00, false]] as const) {
    for (const s of isReg ? [2, 4] : [2]) {
      add(`${name} ${isReg ? `r${bits(s)},` : ''}r/m16 ${kind}`, (b) => {
        const sel = selector(b);
        let tail: number[], pre: number[] = [];
        const regField = isReg ? b.reg32() : name === 'verr' ? 4 : 5;
        if (mem) {
          const off = b.dataOff(2);
          b.patch(off, sel | (b.rng.u32() & 0xffff0000));
          pre = b.segPrefix(false);
          tail = b.memAt(off, regField);
        } else {
          const r = b.reg32(isReg ? 1 << regField : 0);
          b.setReg(r, (value32(b.rng) & ~0xffff) | sel);
          tail = [modrmReg(regField, r)];
        }
        b.emit(...(isReg ? p66(s) : []), ...pre, 0x0f, op2, ...tail);
        b.flags(ZF);
      });
    }
  }
}
for (const [name, ops, sreg] of [
  ['les', [0xc4], 0], ['lds', [0xc5], 3], ['lss', [0x0f, 0xb2], 2], ['lfs', [0x0f, 0xb4], 4], ['lgs', [0x0f, 0xb5], 5],
] as const) {
  for (const o16 of [false, true]) {
    add(`${name} r${o16 ? 16 : 32},m16:${o16 ? 16 : 32}`, (b) => {
      // the far pointer: offset (2 or 4 bytes), then the selector
      const off = b.dataOff(6) & ~1;
      const sel = segSelector(b, sreg === 2);
      const selOff = off + (o16 ? 2 : 4);
      b.emit(0xc7, 0x05, ...b.imm(SCRATCH_ADDR + off, 4), ...b.imm(value32(b.rng), 4));
      b.emit(0x66, 0xc7, 0x05, ...b.imm(SCRATCH_ADDR + selOff, 4), ...b.imm(sel, 2));
      const dst = b.reg32();
      const tail = b.memAt(off, dst);
      b.emit(...p66(o16 ? 2 : 4), ...ops, ...tail);
      if (sreg === 2 && dst === R.ESP) b.stackRoom(1000);
    });
  }
}
add('push fs/gs', (b) => {
  b.stackRoom(4);
  const o16 = b.rng.chance(0.3);
  if (!o16) zeroSlot(b);
  b.emit(...(o16 ? [0x66] : []), 0x0f, b.rng.pick([0xa0, 0xa8]));
  b.espOff -= o16 ? 2 : 4;
});
add('pop fs/gs', (b) => {
  b.stackRoom(4);
  b.emit(0x68, ...b.imm(segSelector(b, false), 4), 0x0f, b.rng.pick([0xa1, 0xa9]));
});
add('mov fs/gs,r16 / mov r16,fs/gs', (b) => {
  const r = b.reg32();
  if (b.rng.chance(0.5)) {
    b.setReg(r, (value32(b.rng) & ~0xffff) | segSelector(b, false));
    b.emit(0x8e, modrmReg(b.rng.pick([4, 5]), r));
  } else b.emit(0x8c, modrmReg(b.rng.pick([4, 5]), r));
});
add('test r/m,imm (F6/F7 /1 alias)', (b) => {
  const s = b.rng.pick([1, 2, 4]);
  const o = rmOperand(b, b.rng.chance(0.5), s, 1, false);
  b.emit(...p66(s), ...o.pre, s === 1 ? 0xf6 : 0xf7, ...o.tail, ...b.imm(value32(b.rng), s));
  b.flags(ARITH, AF);
});
add('rsm (#UD outside SMM)', (b) => b.emit(0x0f, 0xaa));

// Alignment check: EFLAGS.AC = 1 at CPL 3 with CR0.AM = 1 (Linux sets AM) makes a misaligned data
// access raise #AC(0) (SDM Vol. 3 §6.15, Interrupt 17). POPF sets AC, an access follows (aligned
// or not), and a second POPF clears AC again.
add('alignment check (#AC)', (b) => {
  b.stackRoom(8);
  b.emit(0x68, ...b.imm(0x40000 | (b.rng.u32() & ARITH) | 2, 4), 0x9d); // push imm32; popfd (AC = 1)
  b.flags(ARITH);
  const s = b.rng.pick([2, 4]);
  const off = b.rng.chance(0.7) ? 0x40 + b.rng.pick([1, 2, 3]) : 0x40;
  b.emit(...p66(s), 0x8b, ...b.memAt(off, b.reg32())); // mov r, [misaligned]
  b.emit(0x68, ...b.imm((b.rng.u32() & ARITH) | 2, 4), 0x9d); // AC = 0
  b.df = 0;
});

// UD0 / UD1 (0F FF /r, 0F B9 /r): #UD with a ModRM; the reserved hint NOPs 0F 18 /4-7, 0F 19-1E.
add('ud1 r32,r/m32 / ud0 r32,r/m32', (b) => {
  const o = rmOperand(b, b.rng.chance(0.5), 4, b.reg32(), false);
  b.emit(...o.pre, 0x0f, b.rng.pick([0xb9, 0xff]), ...o.tail);
});
add('hint nop r/m (0F 18 /4-7, 0F 19-1E)', (b) => {
  const op = b.rng.pick([0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e]);
  const reg = op === 0x18 ? 4 + b.rng.below(4) : b.rng.below(8);
  const o = rmOperand(b, b.rng.chance(0.6), 4, reg, false);
  b.emit(...o.pre, 0x0f, op, ...o.tail);
});

/**
 * The x87 FPU part of the instruction table: escape opcodes D8-DF (SDM Vol. 2D Appendix A.4,
 * "Escape Opcode Instructions", tables ). Same line format as table-int.ts.
 *
 * Memory forms carry the format in the operand size: Md = float32/int32, Mq = float64/int64,
 * Mw = int16 or a 2-byte control/status word, Mt = float80/BCD, Mblk = environment/state image
 * whose 14/28- or 94/108-byte layout follows Insn.osize.
 * Register forms name ST(0) and ST(i) in Intel order. The undocumented register aliases that P6
 * processors execute (fstp1, fcom2, fcomp3, fxch4, fcomp5, fxch7, fstp8, fstp9) are included.
 */
const arith = ['FADD', 'FMUL', 'FCOM', 'FCOMP', 'FSUB', 'FSUBR', 'FDIV', 'FDIVR'];
const intArith = ['FIADD', 'FIMUL', 'FICOM', 'FICOMP', 'FISUB', 'FISUBR', 'FIDIV', 'FIDIVR'];
/** DC/DE register forms: the destination is ST(i); SUB/SUBR and DIV/DIVR swap (Table ). */
const revArith = ['FADD', 'FMUL', '', '', 'FSUBR', 'FSUB', 'FDIVR', 'FDIV'];
const popArith = ['FADDP', 'FMULP', '', '', 'FSUBRP', 'FSUBP', 'FDIVRP', 'FDIVP'];

function lines(): string[] {
  const out: string[] = [];
  arith.forEach((mn, i) => {
    out.push(`D8 /${i} ${mn} Md`, `DC /${i} ${mn} Mq`, `DA /${i} ${intArith[i]} Md`, `DE /${i} ${intArith[i]} Mw`);
    const r = (0xc0 + i * 8).toString(16).toUpperCase();
    out.push(i === 2 || i === 3 ? `D8 ${r}+i ${mn} STi` : `D8 ${r}+i ${mn} ST0,STi`);
    if (revArith[i]) out.push(`DC ${r}+i ${revArith[i]} STi,ST0`, `DE ${r}+i ${popArith[i]} STi,ST0`);
  });
  return out;
}

export const X87_TABLE: readonly string[] = [
  ...lines(),
  'DC D0+i FCOM STi name=fcom2', 'DC D8+i FCOMP STi name=fcomp3', 'DE D0+i FCOMP STi name=fcomp5',
  'DE D9 FCOMPP',
  // D9
  'D9 /0 FLD Md', 'D9 /2 FST Md', 'D9 /3 FSTP Md', 'D9 /4 FLDENV Mblk', 'D9 /5 FLDCW Mw',
  'D9 /6 FNSTENV Mblk', 'D9 /7 FNSTCW Mw',
  'D9 C0+i FLD STi', 'D9 C8+i FXCH STi', 'D9 D0 FNOP', 'D9 D8+i FSTP STi name=fstp1',
  'D9 E0 FCHS', 'D9 E1 FABS', 'D9 E4 FTST', 'D9 E5 FXAM',
  'D9 E8 FLD1', 'D9 E9 FLDL2T', 'D9 EA FLDL2E', 'D9 EB FLDPI', 'D9 EC FLDLG2', 'D9 ED FLDLN2', 'D9 EE FLDZ',
  'D9 F0 F2XM1', 'D9 F1 FYL2X', 'D9 F2 FPTAN', 'D9 F3 FPATAN', 'D9 F4 FXTRACT', 'D9 F5 FPREM1',
  'D9 F6 FDECSTP', 'D9 F7 FINCSTP', 'D9 F8 FPREM', 'D9 F9 FYL2XP1', 'D9 FA FSQRT', 'D9 FB FSINCOS',
  'D9 FC FRNDINT', 'D9 FD FSCALE', 'D9 FE FSIN', 'D9 FF FCOS',
  // DA
  'DA C0+i FCMOVcc ST0,STi cc=2', 'DA C8+i FCMOVcc ST0,STi cc=4', 'DA D0+i FCMOVcc ST0,STi cc=6',
  'DA D8+i FCMOVcc ST0,STi cc=10', 'DA E9 FUCOMPP',
  // DB
  'DB /0 FILD Md', 'DB /2 FIST Md', 'DB /3 FISTP Md', 'DB /5 FLD Mt', 'DB /7 FSTP Mt',
  'DB C0+i FCMOVcc ST0,STi cc=3', 'DB C8+i FCMOVcc ST0,STi cc=5', 'DB D0+i FCMOVcc ST0,STi cc=7',
  'DB D8+i FCMOVcc ST0,STi cc=11', 'DB E2 FNCLEX', 'DB E3 FNINIT',
  'DB E8+i FUCOMI ST0,STi', 'DB F0+i FCOMI ST0,STi',
  // 8087/287 mode controls, executed as FNOP by the 387 and later.
  'DB E0 FNOP name=fneni(8087_only)', 'DB E1 FNOP name=fndisi(8087_only)', 'DB E4 FNOP name=fnsetpm(287_only)',
  // DD
  'DD /0 FLD Mq', 'DD /2 FST Mq', 'DD /3 FSTP Mq', 'DD /4 FRSTOR Mblk', 'DD /6 FNSAVE Mblk', 'DD /7 FNSTSW Mw',
  'DD C0+i FFREE STi', 'DD C8+i FXCH STi name=fxch4', 'DD D0+i FST STi', 'DD D8+i FSTP STi',
  'DD E0+i FUCOM STi', 'DD E8+i FUCOMP STi',
  // DF
  'DF /0 FILD Mw', 'DF /2 FIST Mw', 'DF /3 FISTP Mw', 'DF /4 FBLD Mt', 'DF /5 FILD Mq', 'DF /6 FBSTP Mt',
  'DF /7 FISTP Mq',
  'DF C0+i FFREEP STi', 'DF C8+i FXCH STi name=fxch7', 'DF D0+i FSTP STi name=fstp8',
  'DF D8+i FSTP STi name=fstp9', 'DF E0 FNSTSW AX',
  'DF E8+i FUCOMIP ST0,STi', 'DF F0+i FCOMIP ST0,STi',
];

/**
 * The integer and system part of the instruction table: the one-byte map, the 0F map and the
 * group opcodes of an i686 (SDM Vol. 2D Appendix A, tables ).
 *
 * One line per encoding:  `<encoding>  <MNEMONIC>  <operands>  <attributes>`
 *   encoding   opcode bytes in hex (`0F` escapes to the two-byte map); `40+r` = 8 opcodes with the
 *              register in the low bits; `70+cc` = 16 opcodes with the condition in the low bits;
 *              then `/r` (ModRM, any reg), `/0`-`/7` (ModRM with that reg field), or a full
 *              register-form ModRM byte (`0F 01 C1`), `E8+i` = 8 ModRM bytes with r/m varying.
 *   operands   Intel order, destination first, codes of operands.ts; `-` for none
 *   attributes lock (LOCK allowed with a memory destination), b (element size 1), priv (CPL 0
 *              only), end (ends a basic block), stop (not a control transfer, but translated code
 *              must end after it: it can change a mode bit the code bakes in, open an interrupt
 *              window or let a device raise an IRQ; src/jit/block-end.ts), name=x (disassembler
 *              spelling when it differs), call (translated code calls its interpreter handler;
 *              every other entry is inline: its semantic template, src/cpu/sem, or for JMP/Jcc/
 *              CALL/RET the translator's own transfer)
 * Flags come from flag-effects.ts by mnemonic and condition.
 */

const alu = ['ADD', 'OR', 'ADC', 'SBB', 'AND', 'SUB', 'XOR', 'CMP'];
const shifts = ['ROL', 'ROR', 'RCL', 'RCR', 'SHL', 'SHR', 'SAL', 'SAR'];
const hex = (n: number): string => n.toString(16).toUpperCase().padStart(2, '0');

function aluLines(): string[] {
  const out: string[] = [];
  alu.forEach((mn, i) => {
    const base = i * 8;
    const lock = mn === 'CMP' ? '' : 'lock';
    out.push(
      `${hex(base)} /r ${mn} Eb,Gb ${lock}`,
      `${hex(base + 1)} /r ${mn} Ev,Gv ${lock}`,
      `${hex(base + 2)} /r ${mn} Gb,Eb`,
      `${hex(base + 3)} /r ${mn} Gv,Ev`,
      `${hex(base + 4)} ${mn} AL,Ib`,
      `${hex(base + 5)} ${mn} eAX,Iz`,
      `80 /${i} ${mn} Eb,Ib ${lock}`,
      `81 /${i} ${mn} Ev,Iz ${lock}`,
      `82 /${i} ${mn} Eb,Ib ${lock}`,
      `83 /${i} ${mn} Ev,Ibs ${lock}`,
    );
  });
  return out;
}

function shiftLines(): string[] {
  const out: string[] = [];
  shifts.forEach((mn, i) => {
    out.push(
      `C0 /${i} ${mn} Eb,Ib`, `C1 /${i} ${mn} Ev,Ib`,
      `D0 /${i} ${mn} Eb,One`, `D1 /${i} ${mn} Ev,One`,
      `D2 /${i} ${mn} Eb,CL`, `D3 /${i} ${mn} Ev,CL`,
    );
  });
  return out;
}

export const INT_TABLE: readonly string[] = [
  ...aluLines(),
  '06 PUSH sES call', '07 POP sES stop call', '0E PUSH sCS call', '16 PUSH sSS call', '17 POP sSS end call', '1E PUSH sDS call', '1F POP sDS stop call',
  '27 DAA call', '2F DAS call', '37 AAA call', '3F AAS call',
  '40+r INC Zv', '48+r DEC Zv', '50+r PUSH Zv', '58+r POP Zv',
  '60 PUSHA call', '61 POPA call', '62 /r BOUND Gv,Ma stop call', '63 /r ARPL Ew,Gw call',
  '68 PUSH Iz', '69 /r IMUL Gv,Ev,Iz', '6A PUSH Ibs', '6B /r IMUL Gv,Ev,Ibs',
  '6C INS - b stop call', '6D INS stop call', '6E OUTS - b stop call', '6F OUTS stop call',
  '70+cc Jcc Jb end',
  '84 /r TEST Eb,Gb', '85 /r TEST Ev,Gv', '86 /r XCHG Eb,Gb lock', '87 /r XCHG Ev,Gv lock',
  '88 /r MOV Eb,Gb', '89 /r MOV Ev,Gv', '8A /r MOV Gb,Eb', '8B /r MOV Gv,Ev',
  '8C /r MOVSEG Esw,Sw stop call', '8D /r LEA Gv,M0', '8E /r MOVSEG Sw,Ew end call', '8F /0 POP Ev',
  '90 NOP', 'F3 90 PAUSE call', ...[1, 2, 3, 4, 5, 6, 7].map((r) => `${hex(0x90 + r)} XCHG Zv,eAX`),
  '98 CBW', '99 CWD', '9A CALLF Ap end call', '9B WAIT call', '9C PUSHF', '9D POPF end call', '9E SAHF', '9F LAHF',
  'A0 MOV AL,Ob', 'A1 MOV eAX,Ov', 'A2 MOV Ob,AL', 'A3 MOV Ov,eAX',
  'A4 MOVS - b', 'A5 MOVS', 'A6 CMPS - b', 'A7 CMPS', 'A8 TEST AL,Ib', 'A9 TEST eAX,Iz',
  'AA STOS - b', 'AB STOS', 'AC LODS - b', 'AD LODS', 'AE SCAS - b', 'AF SCAS',
  'B0+r MOV Zb,Ib', 'B8+r MOV Zv,Iz',
  ...shiftLines(),
  'C2 RET Iw end', 'C3 RET end', 'C4 /r LES Gv,Mp stop call', 'C5 /r LDS Gv,Mp stop call', 'C6 /0 MOV Eb,Ib', 'C7 /0 MOV Ev,Iz',
  'C8 ENTER Iw,Ib call', 'C9 LEAVE', 'CA RETF Iw end call', 'CB RETF end call', 'CC INT3 end call', 'CD INT Ib end call',
  'CE INTO end call', 'CF IRET end call',
  'D4 AAM Ib call', 'D5 AAD Ib call', 'D6 SALC', 'D7 XLAT',
  'E0 LOOPNE Jb end', 'E1 LOOPE Jb end', 'E2 LOOP Jb end', 'E3 JCXZ Jb end',
  'E4 IN AL,Ib stop call', 'E5 IN eAX,Ib stop call', 'E6 OUT Ib,AL b stop call', 'E7 OUT Ib,eAX stop call',
  'E8 CALL Jz end', 'E9 JMP Jz end', 'EA JMPF Ap end call', 'EB JMP Jb end',
  'EC IN AL,DX stop call', 'ED IN eAX,DX stop call', 'EE OUT DX,AL b stop call', 'EF OUT DX,eAX stop call',
  'F1 INT1 end call', 'F4 HLT priv end call', 'F5 CMC',
  'F6 /0 TEST Eb,Ib', 'F6 /1 TEST Eb,Ib', 'F6 /2 NOT Eb lock', 'F6 /3 NEG Eb lock',
  'F6 /4 MUL Eb', 'F6 /5 IMUL Eb', 'F6 /6 DIV Eb', 'F6 /7 IDIV Eb',
  'F7 /0 TEST Ev,Iz', 'F7 /1 TEST Ev,Iz', 'F7 /2 NOT Ev lock', 'F7 /3 NEG Ev lock',
  'F7 /4 MUL Ev', 'F7 /5 IMUL Ev', 'F7 /6 DIV Ev', 'F7 /7 IDIV Ev',
  'F8 CLC', 'F9 STC', 'FA CLI stop call', 'FB STI end call', 'FC CLD', 'FD STD',
  'FE /0 INC Eb lock', 'FE /1 DEC Eb lock',
  'FF /0 INC Ev lock', 'FF /1 DEC Ev lock', 'FF /2 CALL Ev end', 'FF /3 CALLF Mp end call',
  'FF /4 JMP Ev end', 'FF /5 JMPF Mp end call', 'FF /6 PUSH Ev',

  // ---- two-byte map
  '0F 00 /0 SLDT Esw call', '0F 00 /1 STR Esw call', '0F 00 /2 LLDT Ew priv stop call', '0F 00 /3 LTR Ew priv stop call',
  '0F 00 /4 VERR Ew call', '0F 00 /5 VERW Ew call',
  '0F 01 /0 SGDT Ms call', '0F 01 /1 SIDT Ms call', '0F 01 /2 LGDT Ms priv stop call', '0F 01 /3 LIDT Ms priv stop call',
  '0F 01 /4 SMSW Esw call', '0F 01 /6 LMSW Ew priv end call', '0F 01 /7 INVLPG Mb priv end call',
  '0F 01 C1 VMCALL end call',
  // RDTSCP is not an i686 instruction; the system code executes it (CPUID decides whether guests see it).
  '0F 01 F9 RDTSCP call',
  '0F 02 /r LAR Gv,Ew call', '0F 03 /r LSL Gv,Ew call',
  '0F 06 CLTS priv end call', '0F 08 INVD priv call', '0F 09 WBINVD priv call', '0F 0B UD2 end call',
  '0F B9 /r UD2 Gv,Ev end name=ud1 call', '0F FF /r UD2 Gv,Ev end name=ud0 call',
  '0F 18 /0 PREFETCH Mb name=prefetchnta call', '0F 18 /1 PREFETCH Mb name=prefetcht0 call',
  '0F 18 /2 PREFETCH Mb name=prefetcht1 call', '0F 18 /3 PREFETCH Mb name=prefetcht2 call',
  // Hint NOPs: 0F 1F /r is the recommended multi-byte NOP; 0F 18 /4-/7 and 0F 19-0F 1E are
  // reserved NOPs on P6 and later (SDM Vol. 2D Table A-3 "Reserved-NOP").
  '0F 18 /4 NOP Ev', '0F 18 /5 NOP Ev', '0F 18 /6 NOP Ev', '0F 18 /7 NOP Ev',
  '0F 19 /r NOP Ev', '0F 1A /r NOP Ev', '0F 1B /r NOP Ev', '0F 1C /r NOP Ev', '0F 1D /r NOP Ev', '0F 1E /r NOP Ev',
  '0F 1F /r NOP Ev',
  '0F 20 /r MOVCR Rd,Cd priv stop call', '0F 21 /r MOVDR Rd,Dd priv stop call', '0F 22 /r MOVCR Cd,Rd priv end call',
  '0F 23 /r MOVDR Dd,Rd priv stop call',
  '0F 30 WRMSR priv stop call', '0F 31 RDTSC call', '0F 32 RDMSR priv call', '0F 33 RDPMC call', '0F 34 SYSENTER end call',
  '0F 35 SYSEXIT priv end call', '0F AA RSM end call',
  '0F 40+cc /r CMOVcc Gv,Ev',
  '0F 80+cc Jcc Jz end',
  '0F 90+cc /r SETcc Eb',
  '0F A0 PUSH sFS call', '0F A1 POP sFS stop call', '0F A2 CPUID call', '0F A3 /r BT Ev,Gv',
  '0F A4 /r SHLD Ev,Gv,Ib', '0F A5 /r SHLD Ev,Gv,CL',
  '0F A8 PUSH sGS call', '0F A9 POP sGS stop call', '0F AB /r BTS Ev,Gv lock',
  '0F AC /r SHRD Ev,Gv,Ib', '0F AD /r SHRD Ev,Gv,CL',
  '0F AE /0 FXSAVE M512 call', '0F AE /1 FXRSTOR M512 call', '0F AE /7 CLFLUSH Mb call',
  '0F AE E8 LFENCE call', '0F AE F0 MFENCE call', '0F AE F8 SFENCE call',
  '0F AF /r IMUL Gv,Ev',
  '0F B0 /r CMPXCHG Eb,Gb lock', '0F B1 /r CMPXCHG Ev,Gv lock',
  '0F B2 /r LSS Gv,Mp end call', '0F B3 /r BTR Ev,Gv lock', '0F B4 /r LFS Gv,Mp stop call', '0F B5 /r LGS Gv,Mp stop call',
  '0F B6 /r MOVZX Gv,Eb', '0F B7 /r MOVZX Gv,Ew',
  '0F BA /4 BT Ev,Ib', '0F BA /5 BTS Ev,Ib lock', '0F BA /6 BTR Ev,Ib lock', '0F BA /7 BTC Ev,Ib lock',
  '0F BB /r BTC Ev,Gv lock', '0F BC /r BSF Gv,Ev', '0F BD /r BSR Gv,Ev',
  '0F BE /r MOVSX Gv,Eb', '0F BF /r MOVSX Gv,Ew',
  '0F C0 /r XADD Eb,Gb lock', '0F C1 /r XADD Ev,Gv lock', '0F C7 /1 CMPXCHG8B Mq lock',
  '0F C8+r BSWAP Zv',
];

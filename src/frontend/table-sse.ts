/**
 * Encodings beyond the i686 that real binaries contain behind CPUID checks: SSE/SSE2/SSSE3/SSE4.2
 * (glibc's string functions in Debian's busybox-static) and later system instructions (XSAVE,
 * MONITOR/MWAIT, RDRAND, CLAC/STAC... in the Linux kernel's .text and alternatives). They are
 * decoded so that lengths and disassembly are right; x86jit emulates an i686 without them (CPUID
 * reports none), so most entries have mnemonic INVALID and execute as #UD. A few SSE/SSE2 ones
 * (data moves, XOR, LDMXCSR/STMXCSR; src/cpu/sse) execute, for code that uses them without asking
 * CPUID (kvm-unit-tests). `name=` gives the disassembler spelling.
 *
 * A leading 66, F3, F2 or NP is the mandatory prefix (NP: none of them), SDM Vol. 2A §2.1.2.
 * `0F 38` and `0F 3A` are the three-byte maps. Same line format as table-int.ts otherwise.
 */
const sse2IntOps: Array<[number, string]> = [
  [0x60, 'punpcklbw'], [0x61, 'punpcklwd'], [0x62, 'punpckldq'], [0x63, 'packsswb'],
  [0x64, 'pcmpgtb'], [0x65, 'pcmpgtw'], [0x66, 'pcmpgtd'], [0x67, 'packuswb'],
  [0x68, 'punpckhbw'], [0x69, 'punpckhwd'], [0x6a, 'punpckhdq'], [0x6b, 'packssdw'],
  [0x6c, 'punpcklqdq'], [0x6d, 'punpckhqdq'], [0x74, 'pcmpeqb'], [0x75, 'pcmpeqw'], [0x76, 'pcmpeqd'],
  [0xd1, 'psrlw'], [0xd2, 'psrld'], [0xd3, 'psrlq'], [0xd4, 'paddq'], [0xd5, 'pmullw'],
  [0xd8, 'psubusb'], [0xd9, 'psubusw'], [0xda, 'pminub'], [0xdb, 'pand'], [0xdc, 'paddusb'],
  [0xdd, 'paddusw'], [0xde, 'pmaxub'], [0xdf, 'pandn'], [0xe0, 'pavgb'], [0xe1, 'psraw'],
  [0xe2, 'psrad'], [0xe3, 'pavgw'], [0xe4, 'pmulhuw'], [0xe5, 'pmulhw'], [0xe8, 'psubsb'],
  [0xe9, 'psubsw'], [0xea, 'pminsw'], [0xeb, 'por'], [0xec, 'paddsb'], [0xed, 'paddsw'],
  [0xee, 'pmaxsw'], [0xef, 'pxor'], [0xf1, 'psllw'], [0xf2, 'pslld'], [0xf3, 'psllq'],
  [0xf4, 'pmuludq'], [0xf5, 'pmaddwd'], [0xf6, 'psadbw'], [0xf8, 'psubb'], [0xf9, 'psubw'],
  [0xfa, 'psubd'], [0xfb, 'psubq'], [0xfc, 'paddb'], [0xfd, 'paddw'], [0xfe, 'paddd'],
];
const hex = (n: number): string => n.toString(16).toUpperCase().padStart(2, '0');

export const SSE_TABLE: readonly string[] = [
  ...sse2IntOps.map(([op, name]) => `66 0F ${hex(op)} /r ${op === 0xef ? 'XORPS' : 'INVALID'} Vx,Wx name=${name}`),
  'NP 0F 10 /r MOVUPS Vx,Wx name=movups', 'NP 0F 11 /r MOVUPS Wx,Vx name=movups',
  '66 0F 10 /r MOVUPS Vx,Wx name=movupd', '66 0F 11 /r MOVUPS Wx,Vx name=movupd',
  'F3 0F 10 /r INVALID Vx,Wd name=movss', 'F3 0F 11 /r INVALID Wd,Vx name=movss',
  'F2 0F 10 /r INVALID Vx,Wq name=movsd', 'F2 0F 11 /r INVALID Wq,Vx name=movsd',
  'NP 0F 12 /r INVALID Vx,Mq name=movlps', 'NP 0F 12 /r INVALID Vx,Ux name=movhlps',
  'NP 0F 13 /r INVALID Mq,Vx name=movlps',
  '66 0F 12 /r INVALID Vx,Mq name=movlpd', '66 0F 13 /r INVALID Mq,Vx name=movlpd',
  'NP 0F 16 /r INVALID Vx,Mq name=movhps', 'NP 0F 16 /r INVALID Vx,Ux name=movlhps',
  'NP 0F 17 /r INVALID Mq,Vx name=movhps',
  '66 0F 16 /r INVALID Vx,Mq name=movhpd', '66 0F 17 /r INVALID Mq,Vx name=movhpd',
  'NP 0F 28 /r MOVAPS Vx,Wx name=movaps', 'NP 0F 29 /r MOVAPS Wx,Vx name=movaps',
  '66 0F 28 /r MOVAPS Vx,Wx name=movapd', '66 0F 29 /r MOVAPS Wx,Vx name=movapd',
  'NP 0F 2B /r INVALID Mx,Vx name=movntps',
  'NP 0F 54 /r INVALID Vx,Wx name=andps', 'NP 0F 57 /r XORPS Vx,Wx name=xorps',
  '66 0F 54 /r INVALID Vx,Wx name=andpd', '66 0F 57 /r XORPS Vx,Wx name=xorpd',
  '66 0F 6E /r MOVD_XMM Vx,Ed name=movd', '66 0F 7E /r MOVD_XMM Ed,Vx name=movd',
  '66 0F 6F /r MOVAPS Vx,Wx name=movdqa', '66 0F 7F /r MOVAPS Wx,Vx name=movdqa',
  'F3 0F 6F /r MOVUPS Vx,Wx name=movdqu', 'F3 0F 7F /r MOVUPS Wx,Vx name=movdqu',
  'F3 0F 7E /r MOVQ_XMM Vx,Wq name=movq', '66 0F D6 /r MOVQ_XMM Wq,Vx name=movq',
  '66 0F 70 /r INVALID Vx,Wx,Ib name=pshufd', 'F3 0F 70 /r INVALID Vx,Wx,Ib name=pshufhw',
  'F2 0F 70 /r INVALID Vx,Wx,Ib name=pshuflw',
  '66 0F 71 /2 INVALID Ux,Ib name=psrlw', '66 0F 71 /4 INVALID Ux,Ib name=psraw', '66 0F 71 /6 INVALID Ux,Ib name=psllw',
  '66 0F 72 /2 INVALID Ux,Ib name=psrld', '66 0F 72 /4 INVALID Ux,Ib name=psrad', '66 0F 72 /6 INVALID Ux,Ib name=pslld',
  '66 0F 73 /2 INVALID Ux,Ib name=psrlq', '66 0F 73 /3 INVALID Ux,Ib name=psrldq',
  '66 0F 73 /6 INVALID Ux,Ib name=psllq', '66 0F 73 /7 INVALID Ux,Ib name=pslldq',
  '66 0F D7 /r INVALID Gd,Ux name=pmovmskb', '66 0F E7 /r INVALID Mx,Vx name=movntdq',
  '66 0F F7 /r INVALID Vx,Ux name=maskmovdqu',
  '0F AE /2 LDMXCSR Md name=ldmxcsr', '0F AE /3 STMXCSR Md name=stmxcsr',
  '66 0F 38 00 /r INVALID Vx,Wx name=pshufb', '66 0F 38 17 /r INVALID Vx,Wx name=ptest',
  '66 0F 3A 0F /r INVALID Vx,Wx,Ib name=palignr',
  '66 0F 3A 60 /r INVALID Vx,Wx,Ib name=pcmpestrm', '66 0F 3A 61 /r INVALID Vx,Wx,Ib name=pcmpestri',
  '66 0F 3A 62 /r INVALID Vx,Wx,Ib name=pcmpistrm', '66 0F 3A 63 /r INVALID Vx,Wx,Ib name=pcmpistri',
  // Transactional memory and XGETBV (glibc probes them behind CPUID checks).
  'C6 F8 INVALID Ib name=xabort', 'C7 F8 INVALID Jz name=xbegin',
  '0F 01 D0 INVALID name=xgetbv', '0F 01 D5 INVALID name=xend',
  // Later system extensions the Linux kernel uses behind CPUID checks (its .text has them).
  '0F 01 C8 INVALID name=monitor', '0F 01 C9 INVALID name=mwait', '0F 01 D1 INVALID name=xsetbv',
  '0F 01 DC INVALID name=stgi', '0F 01 E8 INVALID name=serialize', '0F 01 FA INVALID name=monitorx',
  '0F 01 FB INVALID name=mwaitx',
  '0F 77 EMMS name=emms', '0F C3 /r INVALID Md,Gd name=movnti',
  '0F AE /4 INVALID Mblk name=xsave', '0F AE /5 INVALID Mblk name=xrstor', '0F AE /6 INVALID Mblk name=xsaveopt',
  '0F C7 /3 INVALID Mblk name=xrstors', '0F C7 /4 INVALID Mblk name=xsavec', '0F C7 /5 INVALID Mblk name=xsaves',
  '66 0F 38 82 /r INVALID Gd,Mblk name=invpcid',
  '0F 01 CA INVALID name=clac', '0F 01 CB INVALID name=stac', '0F 01 D9 INVALID name=vmmcall',
  '0F C7 /6 INVALID Rv name=rdrand', '0F C7 /7 INVALID Rv name=rdseed',
  'F3 0F B8 /r INVALID Gv,Ev name=popcnt',
  '0F 0D /0 INVALID Mb name=prefetch', '0F 0D /1 INVALID Mb name=prefetchw',
];

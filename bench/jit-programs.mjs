/**
 * Small guest programs (Intel syntax for GNU as) shared by the JIT tests (test/jit) and the
 * micro benchmark (bench/jit-micro.mjs). Each ends with `hlt`; code runs at 0x1000.
 */

/** Arithmetic loop: ALU, LEA, a rotate (handler call), DEC+JNZ. */
export const arithLoop = (n) => `
  mov ecx, ${n}
  xor eax, eax
  mov ebx, 7
1:
  add eax, ebx
  xor eax, 0x5a5a
  rol eax, 3
  lea ebx, [ebx + eax * 2 + 1]
  sub ebx, ecx
  dec ecx
  jnz 1b
  hlt
`;

/** Copy `dwords` dwords from `src` to `dst`, one MOV pair per dword. */
export const memcpyLoop = (dwords, src = 0x20000, dst = 0x24000) => `
  mov esi, ${src}
  mov edi, ${dst}
  mov ecx, ${dwords}
1:
  mov eax, [esi]
  mov [edi], eax
  add esi, 4
  add edi, 4
  dec ecx
  jnz 1b
  hlt
`;

/** Bitwise CRC-32 (reflected, polynomial 0xEDB88320) of `bytes` bytes at `src`; result in EAX. */
export const crc32Loop = (bytes, src = 0x20000) => `
  mov esi, ${src}
  mov ecx, ${bytes}
  mov eax, -1
1:
  movzx edx, byte ptr [esi]
  xor eax, edx
  inc esi
  mov ebx, 8
2:
  mov edx, eax
  and edx, 1
  neg edx
  and edx, 0xedb88320
  shr eax, 1
  xor eax, edx
  dec ebx
  jnz 2b
  dec ecx
  jnz 1b
  not eax
  hlt
`;

/** Reference CRC-32 of `data` (to check the guest's answer). */
export function crc32(data) {
  let c = -1;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

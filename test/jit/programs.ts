/**
 * Small guest programs (Intel syntax for GNU as) shared by the JIT tests and bench/jit-micro:
 * each ends with `hlt`. Code runs at CODE (0x1000); data at DATA (0x20000).
 */

/** Arithmetic loop: ALU, LEA, a rotate (handler call), DEC+JNZ. */
export const arithLoop = (n: number): string => `
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

/** Copy `dwords` dwords from DATA to DATA + 0x4000, one MOV pair per dword. */
export const memcpyLoop = (dwords: number): string => `
  mov esi, 0x20000
  mov edi, 0x24000
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

/** Bitwise CRC-32 (reflected, polynomial 0xEDB88320) of `bytes` bytes at DATA; result in EAX. */
export const crc32Loop = (bytes: number): string => `
  mov esi, 0x20000
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
export function crc32(data: Uint8Array): number {
  let c = -1;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

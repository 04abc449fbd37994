/**
 * The x86 branch/call/jump filter of .xz (xz --x86, which scripts/xz_wrap.sh uses for every x86
 * kernel): the encoder turned the rel32 of E8/E9 instructions into absolute addresses so that they
 * compress better; decoding turns them back. A transcription of bcj_x86() in lib/xz/xz_dec_bcj.c,
 * run over the whole block at once (start offset 0), which leaves the last 4 bytes as they are.
 */
const ALLOWED = [true, true, true, false, true, false, false, false];
const BIT_NUM = [0, 1, 2, 2, 3, 3, 3, 3];

const msByte = (b: number) => b === 0x00 || b === 0xff;

export function unBcjX86(buf: Uint8Array, startOffset = 0): void {
  if (buf.length <= 4) return;
  const size = buf.length - 4;
  let prevPos = -1;
  let prevMask = 0;
  let i = 0;
  for (; i < size; i++) {
    if ((buf[i] & 0xfe) !== 0xe8) continue;
    const gap = i - prevPos;
    if (gap > 3) prevMask = 0;
    else {
      prevMask = (prevMask << (gap - 1)) & 7;
      if (prevMask !== 0) {
        const b = buf[i + 4 - BIT_NUM[prevMask]];
        if (!ALLOWED[prevMask] || msByte(b)) {
          prevPos = i;
          prevMask = (prevMask << 1) | 1;
          continue;
        }
      }
    }
    prevPos = i;
    if (msByte(buf[i + 4])) {
      let src = (buf[i + 1] | (buf[i + 2] << 8) | (buf[i + 3] << 16) | (buf[i + 4] << 24)) >>> 0;
      let dest: number;
      for (;;) {
        dest = (src - (startOffset + i + 5)) >>> 0;
        if (prevMask === 0) break;
        const j = BIT_NUM[prevMask] * 8;
        if (!msByte((dest >>> (24 - j)) & 0xff)) break;
        src = (dest ^ (2 ** (32 - j) - 1)) >>> 0;
      }
      dest &= 0x01ffffff;
      if (dest & 0x01000000) dest |= 0xfe000000;
      buf[i + 1] = dest & 0xff;
      buf[i + 2] = (dest >>> 8) & 0xff;
      buf[i + 3] = (dest >>> 16) & 0xff;
      buf[i + 4] = (dest >>> 24) & 0xff;
      i += 4;
    } else prevMask = (prevMask << 1) | 1;
  }
}

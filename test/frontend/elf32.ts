/** Minimal ELF32 section lookup for tests (ELF spec: Elf32_Ehdr / Elf32_Shdr field offsets). */
export interface Section {
  name: string;
  addr: number;
  offset: number;
  size: number;
}

export function elfSection(file: Uint8Array, wanted: string): Section {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (dv.getUint32(0) !== 0x7f454c46 || file[4] !== 1) throw new Error('not an ELF32 file');
  const shoff = dv.getUint32(0x20, true);
  const shentsize = dv.getUint16(0x2e, true);
  const shnum = dv.getUint16(0x30, true);
  const shstrndx = dv.getUint16(0x32, true);
  const sh = (i: number, field: number): number => dv.getUint32(shoff + i * shentsize + field, true);
  const strOff = sh(shstrndx, 0x10);
  for (let i = 0; i < shnum; i++) {
    let name = '';
    for (let p = strOff + sh(i, 0); file[p] !== 0; p++) name += String.fromCharCode(file[p]);
    if (name === wanted) return { name, addr: sh(i, 0x0c), offset: sh(i, 0x10), size: sh(i, 0x14) };
  }
  throw new Error(`no section ${wanted}`);
}

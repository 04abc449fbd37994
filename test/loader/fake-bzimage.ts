/**
 * Builds small synthetic bzImages for loader tests: a real setup header with the fields the loader
 * reads, and a protected-mode part of arbitrary bytes. Fields default to what a 6.1 i386 kernel has.
 */
export interface FakeKernel {
  version?: number;
  setupSects?: number;
  kernelSize?: number;
  initSize?: number;
  prefAddress?: number;
  kernelAlignment?: number;
  relocatable?: boolean;
  loadFlags?: number;
  cmdlineSize?: number;
  initrdAddrMax?: number;
  magic?: number;
  bootFlag?: number;
  /** The compressed kernel (payload_offset 0x100); kernelSize grows to hold it. */
  payload?: Uint8Array;
}

export function makeBzImage(o: FakeKernel = {}): Uint8Array {
  const setupSects = o.setupSects ?? 4;
  const kernelSize = o.payload ? Math.ceil((0x100 + o.payload.length + 0x100) / 16) * 16 : (o.kernelSize ?? 0x3000);
  const setupSize = ((setupSects || 4) + 1) * 512;
  const f = new Uint8Array(setupSize + kernelSize);
  const v = new DataView(f.buffer);
  v.setUint8(0x1f1, setupSects);
  v.setUint32(0x1f4, Math.ceil(kernelSize / 16), true);
  v.setUint16(0x1fe, o.bootFlag ?? 0xaa55, true);
  v.setUint8(0x200, 0xeb); // jmp short
  v.setUint8(0x201, 0x6a); // header ends at 0x26c
  v.setUint32(0x202, o.magic ?? 0x53726448, true);
  v.setUint16(0x206, o.version ?? 0x020f, true);
  v.setUint8(0x211, o.loadFlags ?? 0x01);
  v.setUint32(0x214, 0x100000, true);
  v.setUint32(0x22c, o.initrdAddrMax ?? 0x7fffffff, true);
  v.setUint32(0x230, o.kernelAlignment ?? 0x1000000, true);
  v.setUint8(0x234, o.relocatable === false ? 0 : 1);
  v.setUint32(0x238, o.cmdlineSize ?? 2047, true);
  v.setUint32(0x248, 0x100, true); // payload_offset
  v.setUint32(0x24c, Math.max(0, kernelSize - 0x200), true); // payload_length
  v.setBigUint64(0x258, BigInt(o.prefAddress ?? 0x1000000), true);
  v.setUint32(0x260, o.initSize ?? 0x800000, true);
  for (let i = setupSize; i < f.length; i++) f[i] = (i * 7) & 0xff;
  if (o.payload) {
    f.set(o.payload, setupSize + 0x100);
    v.setUint32(0x24c, o.payload.length, true);
  }
  return f;
}

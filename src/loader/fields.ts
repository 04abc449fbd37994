/**
 * Binary structures described as data (STYLE.md §9): a struct is a record of named fields with their
 * byte offset and size, read and written little-endian through a DataView. `checkStruct` asserts
 * that the fields are in order, do not overlap and fit the struct's declared size, so a typo in an
 * offset table fails at load time and in tests instead of corrupting a guest.
 */

export interface Field {
  readonly off: number;
  /** 1, 2, 4 or 8 bytes for numbers; any size for opaque areas (read with bytes()). */
  readonly size: number;
}

export type Struct = Readonly<Record<string, Field>>;

export function getField(v: DataView, f: Field, base = 0): number {
  const o = base + f.off;
  switch (f.size) {
    case 1: return v.getUint8(o);
    case 2: return v.getUint16(o, true);
    case 4: return v.getUint32(o, true);
    case 8: return Number(v.getBigUint64(o, true));
    default: throw new Error(`field of ${f.size} bytes is not a number`);
  }
}

export function setField(v: DataView, f: Field, value: number, base = 0): void {
  const o = base + f.off;
  switch (f.size) {
    case 1: v.setUint8(o, value); return;
    case 2: v.setUint16(o, value, true); return;
    case 4: v.setUint32(o, value >>> 0, true); return;
    case 8: v.setBigUint64(o, BigInt(value), true); return;
    default: throw new Error(`field of ${f.size} bytes is not a number`);
  }
}

/** Throws when fields overlap, are out of order or pass `size`; returns the end of the last field. */
export function checkStruct(name: string, s: Struct, size: number): number {
  let end = 0;
  let prev = '(start)';
  for (const [field, f] of Object.entries(s)) {
    if (f.off < end) throw new Error(`${name}.${field} at 0x${f.off.toString(16)} overlaps ${prev}`);
    end = f.off + f.size;
    prev = field;
  }
  if (end > size) throw new Error(`${name} ends at 0x${end.toString(16)}, past its size 0x${size.toString(16)}`);
  return end;
}

export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

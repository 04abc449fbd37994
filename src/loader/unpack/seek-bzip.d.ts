// seek-bzip ships no types; the one call decompress.ts makes (lib/index.js Bunzip.decode).
declare module 'seek-bzip' {
  const Bunzip: { decode(input: Uint8Array, outputSize?: number, multistream?: boolean): Uint8Array };
  export default Bunzip;
}

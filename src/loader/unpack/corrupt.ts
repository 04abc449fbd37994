/**
 * Thrown by the decoders in this folder for data that does not decode; decompress.ts turns it into a
 * LoaderError naming the format and the file.
 */
export class CorruptData extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptData';
  }
}

/**
 * The one error type of the loaders: a user-facing, single-line message naming the file and what is
 * wrong with it ("kernel.img: not a Linux bzImage (no HdrS signature)"). The CLI prints `message`
 * alone and exits non-zero; it never shows a stack trace for a LoaderError.
 */
export class LoaderError extends Error {
  constructor(message: string) {
    super(message.replace(/\s*\n\s*/g, ' '));
    this.name = 'LoaderError';
  }
}

/** Format a byte count for error messages: "12.5 MiB", "640 KiB", "17 bytes". */
export function formatSize(bytes: number): string {
  if (bytes >= 1 << 20) return `${+(bytes / (1 << 20)).toFixed(1)} MiB`;
  if (bytes >= 1 << 10) return `${+(bytes / (1 << 10)).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

export function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

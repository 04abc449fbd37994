/** The reference guest (Debian i386 kernel + busybox initramfs) as a ready machine configuration. */
import { prepareReferenceGuest } from '../guest/reference.js';
import { ReferenceGuestError } from './errors.js';
import type { MachineConfig } from './options.js';

export interface ReferenceGuestConfig extends MachineConfig {
  kernel: string;
  initrd: string;
  /** The default command line: serial console, quiet. Add " x86jit.poweroff" to stop after boot. */
  append: string;
  /** Kernel release, e.g. 6.1.0-57-686. */
  release: string;
  /** The kernel's System.map (symbols), or null. */
  systemMap: string | null;
}

export interface ReferenceGuestOptions {
  /** Progress lines while it is prepared the first time (apt-get download); silent by default. */
  log?: (line: string) => void;
}

/**
 * The reference guest, prepared into the cache (~/.cache/x86jit) on first use: that first call
 * downloads two Debian packages with apt-get and takes a while; later calls only read the cache.
 * Throws ReferenceGuestError when it cannot be prepared.
 */
export function referenceGuest(options: ReferenceGuestOptions = {}): ReferenceGuestConfig {
  let g;
  try {
    g = prepareReferenceGuest({ log: options.log });
  } catch (e) {
    throw new ReferenceGuestError(`cannot prepare the reference guest: ${(e as Error).message}`);
  }
  return { kernel: g.kernel, initrd: g.initrd, append: g.cmdline, release: g.release, systemMap: g.systemMap };
}

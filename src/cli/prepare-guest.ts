/** `x86jit prepare-guest`: fetch and build the reference guest into the cache, print where and which. */
import { prepareReferenceGuest, referenceGuestLabel } from '../guest/reference.js';

export async function prepareGuestCommand(): Promise<number> {
  try {
    const g = prepareReferenceGuest((msg) => process.stderr.write(`x86jit: ${msg}\n`));
    process.stdout.write(
      `kernel:     ${g.kernel}\ninitrd:     ${g.initrd}\nSystem.map: ${g.systemMap}\ncmdline:    ${g.cmdline}\n` +
        `packages:   ${referenceGuestLabel(g)}\n`,
    );
    return 0;
  } catch (e) {
    process.stderr.write(`x86jit: ${(e as Error).message}\n`);
    return 1;
  }
}

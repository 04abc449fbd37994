/**
 * The reference guest on a peer emulator (QEMU, when installed: ../shared/peers/setup.sh): checks the
 * initramfs itself — /init prints the banner and BOOT-OK, the shell answers on the serial console,
 * `poweroff -f` ends the machine — independently of x86jit's own CPU. Skipped without QEMU.
 */
import { execFileSync, spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BANNER, BOOT_OK } from '../../src/guest/init-script.js';
import { prepareReferenceGuest } from '../../src/guest/reference.js';
import { oracle } from '../support/oracle.js';

const hasQemu = (() => {
  try {
    execFileSync('qemu-system-i386', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const haveQemu = oracle('the QEMU peer check', hasQemu, 'qemu-system-i386 is not installed (Debian: apt-get install qemu-system-x86)');

describe.skipIf(!haveQemu)('reference guest on QEMU (peer check of the initramfs)', () => {
  it('boots to the banner, runs a shell command, powers off with status 0', async () => {
    const g = prepareReferenceGuest();
    const q = spawn('qemu-system-i386', ['-accel', 'tcg', '-m', '128', '-nographic', '-no-reboot', '-kernel', g.kernel, '-initrd', g.initrd, '-append', g.cmdline], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let sentCommand = false;
    let sentPoweroff = false;
    q.stdout.on('data', (b: Buffer) => {
      out += b.toString('latin1');
      if (!sentCommand && out.includes(`${BOOT_OK}\r\n`) && /# /.test(out.slice(out.indexOf(BOOT_OK)))) {
        sentCommand = true;
        q.stdin.write('echo answer=$((6*7))\n');
      }
      if (sentCommand && !sentPoweroff && out.includes('answer=42')) {
        sentPoweroff = true;
        q.stdin.write('poweroff -f\n');
      }
    });
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => q.kill(), 110_000);
      q.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(out).toContain(BANNER);
    expect(out).toContain('answer=42');
    expect(out).toContain('reboot: Power down');
    expect(code).toBe(0);
  }, 120_000);
});

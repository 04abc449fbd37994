/**
 * A CPU-bound job inside the reference guest (issue 6, acceptance 4b): after the shell is up, the
 * guest makes an 8 MB file and runs `sha256sum` and `gzip -c` over it four times. The time between
 * the markers the guest prints around the job is measured, once per engine, in one run, and the
 * ratio JIT/interpreter is printed. The CLI is driven exactly as a user would drive it.
 *
 *   npm run build && node bench/guest-job.mjs [--modes interp,jit] [--clock deterministic]
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const modes = arg('modes', 'interp,jit').split(',');
const clock = arg('clock', 'deterministic');

// seq makes ~8 MB of text (deterministic content, so both engines do identical work).
const JOB = [
  'seq 1 1160000 > /tmp/f; ls -l /tmp/f; echo JOB-START',
  'for i in 1 2 3 4; do sha256sum /tmp/f; gzip -c /tmp/f | wc -c; done',
  'echo JOB-END; poweroff -f',
].join('\n');

function runOnce(mode) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--no-concurrent-recompilation", CLI, 'boot', '--mode', mode, '--clock', clock], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    let start = 0;
    let sent = false;
    const t0 = performance.now();
    p.stdout.setEncoding('latin1');
    p.stdout.on('data', (d) => {
      out += d;
      if (!sent && /BOOT-OK[\s\S]*[#$] /.test(out)) {
        sent = true;
        p.stdin.write(JOB + '\n');
      }
      if (!start && /^JOB-START/m.test(out)) start = performance.now();
    });
    p.on('exit', (code) => {
      const end = performance.now();
      if (code !== 0 || !start || !/^JOB-END/m.test(out)) return reject(new Error(`${mode}: exit ${code}\n${out.slice(-2000)}`));
      const sums = out.match(/^[0-9a-f]{64}\s/gm) ?? [];
      resolve({ mode, jobSeconds: (end - start) / 1000, bootSeconds: (start - t0) / 1000, sums: new Set(sums).size });
    });
  });
}

const results = [];
for (const m of modes) {
  const r = await runOnce(m);
  results.push(r);
  console.log(`${m.padEnd(7)} job ${r.jobSeconds.toFixed(1)} s (boot+setup ${r.bootSeconds.toFixed(1)} s), distinct sha256 results: ${r.sums}`);
}
const interp = results.find((r) => r.mode === 'interp');
const jit = results.find((r) => r.mode === 'jit');
if (interp && jit) console.log(`JIT speed-up on the guest job: ${(interp.jobSeconds / jit.jobSeconds).toFixed(2)}x`);

/**
 * A CPU-bound job inside the reference guest (issue 6, acceptance 4b): `sha256sum` and `gzip -c`
 * of an 8 MiB file, four times, in the booted reference guest, with the interpreter and with the
 * JIT, and the ratio of the two job times, measured in one run of this script.
 *
 *   npm run build && node bench/guest-job.mjs [--modes interp,jit] [--mb 8] [--rounds 4] [--threshold 300]
 *
 * - The file: 8 MiB of text-like data (words of a made-up vocabulary picked with a skewed
 *   distribution, numbers, punctuation, ragged lines) from a fixed-seed PRNG, so every run and
 *   both engines hash and compress the same bytes; gzip brings it to about a third, not to
 *   nothing. It is made on the host and placed in the initramfs: a small newc archive (/job/data,
 *   /job/run.sh) followed by the reference guest's own gzip'd archive (the kernel unpacks
 *   concatenated archives, init/initramfs.c), so the guest does not spend time making it.
 * - The job: once the shell is up, the bench types `sh /job/run.sh; poweroff -f`. run.sh prints
 *   JOB-START, runs the four rounds, prints JOB-END. The job time is the host time between the
 *   two markers on the console (boot excluded); the guest instructions between them are read
 *   from the CPU at the same moments, which shows both engines did the same work.
 * - Checks: every sha256sum line equals the sha256 of the file computed on the host (so it is
 *   correct, and identical in both engines), and the compressed sizes agree across rounds and
 *   engines.
 * - Each engine runs in a child process of its own (a fresh V8 heap and code space; a second boot
 *   in the same process runs differently), with Node's default V8 flags as the CLI (concurrent
 *   recompilation on); deterministic clock, kernel decompressed on the host (the boot is not timed anyway).
 *
 * Also a module: profile-overhead.mjs uses jobInitrd() and runGuestJob().
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeCpio } from '../dist/loader/cpio.js';
import { prepareReferenceGuest, referenceGuestLabel } from '../dist/guest/reference.js';
import { loadMachine } from '../dist/cli/profile-run.js';
import { startProfile } from '../dist/profiler/session.js';

/** Deterministic text-like bytes: same (bytes, seed) -> same content on every host. */
export function jobData(bytes, seed = 0x2545f491) {
  let s = seed >>> 0;
  // xorshift32 (Marsaglia 2003): enough for data, exact in int32 arithmetic.
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  const syll = ['ka', 're', 'mo', 'tin', 'ul', 'se', 'da', 'vor', 'pi', 'lan', 'e', 'ro', 'gu', 'fa', 'ni', 'ch', 'st', 'ber', 'o', 'qui', 'zen', 'ha', 'wy', 'ex'];
  const vocab = [];
  for (let i = 0; i < 4096; i++) {
    let w = '';
    const n = 1 + (next() % 4);
    for (let k = 0; k < n; k++) w += syll[next() % syll.length];
    vocab.push(w);
  }
  const out = Buffer.alloc(bytes);
  let o = 0;
  let col = 0;
  let lineLen = 40 + (next() % 60);
  const put = (str) => {
    for (let i = 0; i < str.length && o < bytes; i++) out[o++] = str.charCodeAt(i);
  };
  while (o < bytes) {
    const r = next();
    let tok;
    if ((r & 15) === 0) tok = String(next() % 100000);
    else if ((r & 63) === 1) tok = (next() >>> 0).toString(16);
    else {
      // Skewed choice: low indices are frequent (roughly Zipf-like), as in real text.
      const u = (next() >>> 8) / (1 << 24);
      tok = vocab[Math.floor(u * u * u * vocab.length)];
      if ((r >>> 8) % 9 === 0) tok = tok[0].toUpperCase() + tok.slice(1);
    }
    put(tok);
    col += tok.length;
    const p = (r >>> 16) % 23;
    if (col >= lineLen) {
      put(p < 8 ? '.\n' : '\n');
      col = 0;
      lineLen = 40 + (next() % 60);
    } else put(p === 0 ? ', ' : p === 1 ? '; ' : p === 2 ? '. ' : ' ');
  }
  return out;
}

export const JOB_START = 'JOB-START';
export const JOB_END = 'JOB-END';

function runScript(rounds) {
  return [
    `echo ${JOB_START}`,
    `for i in $(seq 1 ${rounds}); do sha256sum /job/data; gzip -c /job/data | wc -c; done`,
    `echo ${JOB_END}`,
    '',
  ].join('\n');
}

/**
 * The initramfs for the job: /job/data + /job/run.sh, then the reference initramfs. Written once
 * per (size, rounds, reference initrd) under the OS temp folder. Returns the path and the sha256
 * of the data as the host computes it.
 */
export function jobInitrd({ mb = 8, rounds = 4 } = {}) {
  const g = prepareReferenceGuest(() => {});
  const data = jobData(Math.round(mb * 1024 * 1024));
  const sha256 = createHash('sha256').update(data).digest('hex');
  const enc = new TextEncoder();
  const cpio = writeCpio([
    { name: 'job', type: 'dir' },
    { name: 'job/data', type: 'file', perm: 0o644, data },
    { name: 'job/run.sh', type: 'file', perm: 0o755, data: enc.encode(runScript(rounds)) },
  ]);
  const ref = readFileSync(g.initrd);
  const key = createHash('sha256').update(sha256).update(runScript(rounds)).update(ref).digest('hex').slice(0, 12);
  const path = join(tmpdir(), `x86jit-guest-job-${key}.cpio`);
  if (!existsSync(path)) {
    // The uncompressed archive's length is a multiple of 4 (newc pads every member), so the gzip
    // archive after it starts aligned, as the kernel's unpacker requires.
    const img = Buffer.concat([cpio, ref]);
    writeFileSync(`${path}.tmp-${process.pid}`, img);
    renameSync(`${path}.tmp-${process.pid}`, path);
  }
  return { path, sha256, bytes: data.length };
}

/**
 * Boot the reference guest with the job's initramfs, run the job, return its figures. With
 * `profile` ({ period, exactBlocks }) the profiler is attached from power-on, as `boot --profile`
 * does. The job is timed by the host clock between the console markers.
 */
export async function runGuestJob({ mode = 'jit', mb = 8, rounds = 4, threshold = 300, profile = null, onMachine } = {}) {
  const job = jobInitrd({ mb, rounds });
  let out = '';
  let sent = false;
  let start = null;
  let end = null;
  let scanFrom = 0;
  const { machine, symbols } = await loadMachine({ mode, initrd: job.path, powerOffAtShell: false, jitThreshold: threshold, console: (b) => onOut(b) });
  const prof = profile ? startProfile(machine, profile, symbols) : null;
  if (onMachine) onMachine(machine, prof);
  const bootT0 = performance.now();
  function onOut(b) {
    out += Buffer.from(b).toString('latin1');
    if (!sent && /BOOT-OK[\s\S]*[#$] /.test(out)) {
      sent = true;
      machine.input(new TextEncoder().encode('sh /job/run.sh; poweroff -f\n'));
    }
    if (!sent) return;
    // Markers are whole lines printed by run.sh (the echoed command line does not start with them).
    const lines = out.slice(scanFrom).split('\n');
    for (let i = 0; i < lines.length - 1; i++) {
      const l = lines[i].replace(/\r$/, '');
      if (l === JOB_START && start === null) start = { t: performance.now(), icount: machine.cpu.icount };
      if (l === JOB_END && end === null) end = { t: performance.now(), icount: machine.cpu.icount };
    }
    scanFrom = out.lastIndexOf('\n') + 1;
  }
  const result = await machine.run();
  if (prof) prof.detach();
  if (start === null || end === null) throw new Error(`${mode}: the guest job did not complete (${result.why}); console ends with:\n${out.slice(-1500)}`);
  const body = out.slice(out.indexOf(`\n${JOB_START}`));
  const sums = [...body.matchAll(/^([0-9a-f]{64})  \/job\/data\r?$/gm)].map((m) => m[1]);
  const sizes = [...body.matchAll(/^(\d+)\r?$/gm)].map((m) => Number(m[1]));
  return {
    mode,
    bootSeconds: (start.t - bootT0) / 1000,
    jobSeconds: (end.t - start.t) / 1000,
    jobInstructions: end.icount - start.icount,
    totalInstructions: machine.cpu.icount,
    sums,
    gzipSizes: sizes,
    expectedSha256: job.sha256,
    bytes: job.bytes,
    exitCode: result.exitCode,
    profiler: prof,
  };
}

/** Problems with a result (wrong or missing sums, sizes that differ between rounds). */
export function checkJob(r, rounds) {
  const errs = [];
  if (r.sums.length !== rounds) errs.push(`${r.mode}: ${r.sums.length} sha256sum lines, expected ${rounds}`);
  for (const s of r.sums) if (s !== r.expectedSha256) errs.push(`${r.mode}: sha256 ${s} != host ${r.expectedSha256}`);
  if (r.gzipSizes.length !== rounds || new Set(r.gzipSizes).size !== 1) errs.push(`${r.mode}: gzip sizes ${r.gzipSizes.join(',')}`);
  return errs;
}

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};

async function main() {
  const mb = Number(arg('mb', 8));
  const rounds = Number(arg('rounds', 4));
  const threshold = Number(arg('threshold', 300));
  const child = arg('child', null);
  if (child !== null) {
    const r = await runGuestJob({ mode: child, mb, rounds, threshold });
    delete r.profiler;
    process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
    return;
  }
  const modes = arg('modes', 'interp,jit').split(',');
  const job = jobInitrd({ mb, rounds });
  const sample = jobData(job.bytes);
  const { gzipSync } = await import('node:zlib');
  console.log(`guest: ${referenceGuestLabel()}`);
  console.log(`guest job: sha256sum + gzip -c of ${job.bytes} bytes (host sha256 ${job.sha256.slice(0, 16)}..., host gzip -6 ${gzipSync(sample, { level: 6 }).length} bytes), ${rounds} rounds; JIT threshold ${threshold}`);
  const results = [];
  for (const mode of modes) {
    const p = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', mode, '--mb', String(mb), '--rounds', String(rounds), '--threshold', String(threshold)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 26,
    });
    const line = (p.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT '));
    if (p.status !== 0 || !line) throw new Error(`${mode}: child failed (status ${p.status})\n${(p.stdout ?? '').slice(-2000)}`);
    const r = JSON.parse(line.slice(7));
    results.push(r);
    const errs = checkJob(r, rounds);
    console.log(
      `${mode.padEnd(7)} job ${r.jobSeconds.toFixed(1).padStart(6)} s, ${(r.jobInstructions / 1e6).toFixed(1)}M guest instructions (${(r.jobInstructions / r.jobSeconds / 1e6).toFixed(1)} M/s); ` +
        `boot ${r.bootSeconds.toFixed(1)} s; sha256 ${errs.length === 0 ? 'correct x' + r.sums.length : 'WRONG'}; gzip -c ${r.gzipSizes[0]} bytes`,
    );
    for (const e of errs) console.log(`  ${e}`);
  }
  const interp = results.find((r) => r.mode === 'interp');
  const jit = results.find((r) => r.mode === 'jit');
  if (interp && jit) {
    const same = interp.sums.join() === jit.sums.join() && interp.gzipSizes.join() === jit.gzipSizes.join();
    console.log(`same output in both engines: ${same ? 'yes' : 'NO'}; job instructions interp/jit: ${(interp.jobInstructions / jit.jobInstructions).toFixed(4)}`);
    console.log(`JIT speed-up on the guest job: ${(interp.jobSeconds / jit.jobSeconds).toFixed(2)}x (goal >= 10x)`);
  }
  if (results.some((r) => checkJob(r, rounds).length > 0)) process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();

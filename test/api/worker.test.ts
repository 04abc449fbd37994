/**
 * The library API inside a worker_thread (issue 14 item 1): the worker boots a tiny guest through
 * the built package entry (dist/api/index.js), talks to its console and posts the result; a bad
 * kernel comes back as the typed error's name and one-line message. (The reference guest boots in
 * test/api/package.test.ts; a second 30 s boot here would prove nothing the tiny guest does not.)
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, test } from 'vitest';
import { tinyGuest } from './tiny-guest.js';

const WORKER = fileURLToPath(new URL('./boot-worker.mjs', import.meta.url));
const API = fileURLToPath(new URL('../../dist/api/index.js', import.meta.url));

function inWorker(data: object): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER, { workerData: data });
    w.once('message', (m) => {
      resolve(m as Record<string, unknown>);
      void w.terminate();
    });
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`worker exited (${code}) without posting a result`)));
  });
}

describe('the API in a worker_thread', () => {
  test('the build exists', () => {
    expect(existsSync(API), `${API} is missing: build first (npx tsc -p .)`).toBe(true);
  });

  test('boots a guest, waits for its prompt, types, and posts how it stopped', async () => {
    const r = await inWorker({ config: { kernel: tinyGuest('worker> ', 'echo'), memory: '16M' }, expect: '> ', input: 'hi q' });
    expect(r.error).toBeUndefined();
    expect(r.seen).toEqual({ before: 'worker', match: '> ', captures: [] });
    expect(r.result).toEqual({ kind: 'poweroff', exitCode: 0, message: 'guest powered off by hypercall (status 0)' });
    expect(r.instructions).toBeGreaterThan(0);
  }, 60_000);

  test('a bad kernel posts back a LoaderError', async () => {
    const r = await inWorker({ config: { kernel: '/nonexistent/bzImage' }, expect: '', input: '' });
    expect(r.error).toEqual({ name: 'LoaderError', message: '/nonexistent/bzImage: no such kernel file' });
  }, 60_000);
});

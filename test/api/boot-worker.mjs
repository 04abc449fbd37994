// A worker_thread that boots a guest through the built library API (dist/api/index.js), types
// `input` once `expect` shows on its console, and posts how the guest stopped (worker.test.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { Machine } from '../../dist/api/index.js';

const { config, expect, input } = workerData;
try {
  const m = await Machine.boot(config);
  const seen = await m.waitFor(expect, { timeout: 60_000 });
  m.write(input);
  const result = await m.run();
  parentPort.postMessage({ seen, result, instructions: m.stats.instructions });
} catch (e) {
  parentPort.postMessage({ error: { name: e?.name, message: e?.message ?? String(e) } });
}

import os from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the CPUs: a single worker on the 2-core CI machine,
    // with the second core idle. Test files are CPU-bound and independent (each boot is its own
    // child process), so use every core.
    maxWorkers: Math.max(2, os.availableParallelism()),
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});

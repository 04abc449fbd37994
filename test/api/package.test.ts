/**
 * The published package, as a user gets it (issue 14 item 1): `npm pack` of this repository's
 * sources (its prepare script builds dist/ from scratch), installed into a scratch project outside the repository; the
 * README's "Library API" example, copied verbatim, must type-check there against the installed
 * .d.ts files (tsc --noEmit) and, compiled, boot the reference guest, print `uname -a` and power
 * off. This is the one reference-guest boot of test/api.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { prepareReferenceGuest } from '../../src/guest/reference.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const TSC = join(REPO, 'node_modules/.bin/tsc');
// ~30 s on an idle core; 140 s was seen with four sessions sharing two cores.
const BOOT_TIMEOUT_MS = 300_000;

/** The first ```ts block of README.md's "## Library API" section. */
export function readmeExample(readme: string): string {
  const section = readme.split(/^## /m).find((s) => s.startsWith('Library API'));
  const code = section && /```ts\n([\s\S]*?)```/.exec(section);
  if (!code) throw new Error('README.md has no ```ts block in a "## Library API" section');
  return code[1];
}

function run(cmd: string, args: string[], cwd: string, timeout = 180_000): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, npm_config_update_notifier: 'false' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed with ${r.error?.message ?? `status ${r.status}`}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

describe('npm pack, installed elsewhere', () => {
  const work = mkdtempSync(join(tmpdir(), 'x86jit-package-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test('the README example type-checks and boots the reference guest', () => {
    const g = prepareReferenceGuest(); // cached; fetched here on a fresh machine, before the timed boot

    // Pack from a clean build: a copy of the sources with no dist/, so the prepare script builds
    // it afresh (and the repository's dist/, which other test files run concurrently, is left alone).
    const stage = join(work, 'stage');
    mkdirSync(stage);
    for (const f of ['package.json', 'README.md', 'tsconfig.json', 'src']) cpSync(join(REPO, f), join(stage, f), { recursive: true });
    symlinkSync(join(REPO, 'node_modules'), join(stage, 'node_modules'), 'dir');
    run('npm', ['pack', '--pack-destination', work], stage);
    const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'));
    expect(tgz, 'npm pack wrote no tarball').toBeDefined();
    const listing = execFileSync('tar', ['tzf', join(work, tgz!)], { encoding: 'utf8' }).split('\n');
    expect(listing).toContain('package/dist/api/index.js');
    expect(listing).toContain('package/dist/api/index.d.ts');
    expect(listing).toContain('package/dist/cli/main.js');
    expect(listing.filter((f) => f.startsWith('package/src/') || f.startsWith('package/test/'))).toEqual([]);

    // A scratch project installs it: from the npm cache, else (a cold cache) from the registry.
    const proj = join(work, 'scratch');
    mkdirSync(proj);
    writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'x86jit-scratch', version: '1.0.0', private: true, type: 'module' }));
    const install = ['install', '--no-audit', '--no-fund', join(work, tgz!)];
    try {
      run('npm', [...install, '--offline'], proj);
    } catch {
      run('npm', install, proj);
    }
    // @types/node from this repository: the scratch project has no registry access of its own.
    mkdirSync(join(proj, 'node_modules/@types'), { recursive: true });
    symlinkSync(join(REPO, 'node_modules/@types/node'), join(proj, 'node_modules/@types/node'), 'dir');

    writeFileSync(join(proj, 'example.mts'), readmeExample(readFileSync(join(REPO, 'README.md'), 'utf8')));
    const compilerOptions = { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, types: ['node'], outDir: 'out' };
    writeFileSync(join(proj, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['example.mts'] }));
    run(TSC, ['-p', '.', '--noEmit'], proj);
    run(TSC, ['-p', '.'], proj);

    // Outside the repository, node resolves 'x86jit' only through the installed package.
    const r = spawnSync(process.execPath, [join(proj, 'out/example.mjs')], { cwd: proj, encoding: 'utf8', timeout: BOOT_TIMEOUT_MS });
    expect(r.status, `example failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^Linux \\S+ ${g.release.replace(/\./g, '\\.')} .* i686 GNU/Linux$`));
    expect(lines[1]).toBe('guest stopped: poweroff, exit status 0');
  }, BOOT_TIMEOUT_MS + 240_000);
});

/**
 * Source maps of generated code (src/jit/source-map.ts, compile.ts): DevTools sees them (inspector
 * protocol), they decode to the right guest instruction, and a JS stack line of an error thrown
 * inside a block maps back to the guest instruction that was running.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Session } from 'node:inspector';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SourceMapConsumer, type RawSourceMap } from 'source-map';
import { asm, CODE, pair } from './helpers.js';
import { compileGenerated, setSourceMaps } from '../../src/jit/compile.js';
import { bodyLineOffset, buildGuestSourceMap } from '../../src/jit/source-map.js';
import type { VmExit } from '../../src/cpu/exit.js';
import { arithLoop } from '../../bench/jit-programs.mjs';
import { generatedUrls, loadGeneratedMaps, symbolizeHostProfile, type HostProfile, type SymbolizeOptions } from '../../src/profiler/host-profile.js';
import { noSymbols } from '../../src/profiler/symbols.js';

afterEach(() => setSourceMaps(null));

/** A loop whose block ends in OUT (a handler call that makes a VM exit). */
const LOOP = `
    mov ecx, 6
  1:
    mov eax, ecx
    add ebx, eax
    lea edx, [ebx + ecx * 2]
    out 0x80, al
    dec ecx
    jnz 1b
    hlt
`;

/** Guest address of the `k`-th instruction of LOOP, from the assembled bytes' known lengths. */
const MOV_ECX = CODE; // b9 imm32: 5 bytes
const LOOP_HEAD = CODE + 5; // mov eax, ecx: 2
const ADD = LOOP_HEAD + 2; // add ebx, eax: 2
const LEA = ADD + 2; // lea edx, [ebx+ecx*2]: 3
const OUT = LEA + 3; // out 0x80, al: 2
const hex = (a: number) => a.toString(16).padStart(8, '0');

async function consume<T>(json: string, f: (c: SourceMapConsumer) => T): Promise<T> {
  return SourceMapConsumer.with(JSON.parse(json) as RawSourceMap, null, f);
}

describe('source maps of generated code', () => {
  it('V8 puts the body of new Function this many lines down', () => {
    const f = compileGenerated<() => () => void>([], 'return function () {\nthrow new Error("x");\n};', null)();
    let stack = '';
    try {
      f();
    } catch (e) {
      stack = (e as Error).stack ?? '';
    }
    const m = /<anonymous>:(\d+):\d+/.exec(stack);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBe(2 + bodyLineOffset());
    expect(bodyLineOffset()).toBe(2);
  });

  it('maps the lines of each instruction to its listing line; prologue lines to the first', async () => {
    const body = ['"use strict";', 'return function (cpu) {', '// 0x1000 MOV', 'a;', 'b;', '// 0x1005 ADD', 'c;', '};', '//# sourceURL=x86jit/block_00001000_3.js'].join('\n');
    const m = buildGuestSourceMap(body, { symbolize: (eip) => `f+0x${(eip - 0xff0).toString(16)}`, disassemble: (eip) => (eip === 0x1000 ? 'mov eax, 1' : null) })!;
    expect(m.url).toBe('x86jit/block_00001000_3.js');
    expect(m.source).toBe('x86jit/guest/block_00001000_3.asm');
    expect(m.mapSource).toBe('guest/block_00001000_3.asm'); // relative to x86jit/block_00001000_3.js
    expect(m.listing.split('\n')[0]).toMatch(/^00001000 {2}mov eax, 1 +; f\+0x10$/);
    expect(m.listing.split('\n')[1]).toMatch(/^00001005 {2}add +; f\+0x15$/);
    await consume(m.json, (c) => {
      const off = bodyLineOffset();
      const at = (line: number) => c.originalPositionFor({ line: line + off, column: 3 });
      expect(at(1)).toMatchObject({ source: m.mapSource, line: 1, name: 'f' }); // prologue
      expect(at(4)).toMatchObject({ line: 1 }); // a;
      expect(at(5)).toMatchObject({ line: 1 });
      expect(at(7)).toMatchObject({ line: 2 }); // c;
      expect(c.sourceContentFor(m.mapSource)).toBe(m.listing);
    });
  });

  it('DevTools gets the map: Debugger.scriptParsed carries a data: sourceMapURL that decodes to the guest instruction', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'x86jit-maps-'));
    setSourceMaps({ dir, symbolize: (eip) => (eip >= CODE && eip < CODE + 0x100 ? `loop_fn+0x${(eip - CODE).toString(16)}` : null) });
    const session = new Session();
    session.connect();
    const parsed: { url: string; sourceMapURL: string; scriptId: string }[] = [];
    session.on('Debugger.scriptParsed', (m) => {
      if (m.params.url.startsWith('x86jit/')) parsed.push(m.params);
    });
    await new Promise<void>((res, rej) => session.post('Debugger.enable', (err) => (err ? rej(err) : res())));
    try {
      const p = pair(asm(LOOP), () => {}, 1);
      p.engine.run(1000);
      expect(p.jit.cpu.halted).toBe(true);
      await new Promise((r) => setTimeout(r, 10));
      const loop = parsed.find((s) => s.url.startsWith(`x86jit/block_${hex(LOOP_HEAD)}_`));
      expect(loop, JSON.stringify(parsed.map((s) => s.url))).toBeDefined();
      expect(loop!.sourceMapURL).toMatch(/^data:application\/json;charset=utf-8;base64,/);
      const json = Buffer.from(loop!.sourceMapURL.split(',')[1], 'base64').toString('utf8');
      // The same map was written to the directory for `profile --symbolize`.
      expect(readFileSync(join(dir, `${loop!.url.split('/').pop()}.map`), 'utf8')).toBe(json);
      // The script V8 compiled: find the line of the LEA's code, ask the map.
      const src = await new Promise<string>((res, rej) =>
        session.post('Debugger.getScriptSource', { scriptId: loop!.scriptId }, (err, r) => (err ? rej(err) : res(r.scriptSource))),
      );
      const lines = src.split('\n');
      const marker = lines.findIndex((l) => l.includes(`// 0x${LEA.toString(16)} LEA`));
      expect(marker).toBeGreaterThan(0);
      await consume(json, (c) => {
        const pos = c.originalPositionFor({ line: marker + 2, column: 0 }); // the line after the marker
        expect(pos.source).toBe(`guest/${loop!.url.split('/').pop()!.replace(/\.js$/, '')}.asm`);
        expect(pos.name).toBe('loop_fn');
        const listing = c.sourceContentFor(pos.source!)!.split('\n');
        expect(listing[pos.line! - 1]).toMatch(new RegExp(`^${hex(LEA)} {2}lea +; loop_fn\\+0x${(LEA - CODE).toString(16)}$`));
      });
    } finally {
      session.disconnect();
    }
  });

  it("a JS error thrown by a handler inside a block: its stack line maps to the guest instruction", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'x86jit-maps-'));
    setSourceMaps({ dir });
    const p = pair(asm(LOOP), () => {}, 1);
    let outs = 0;
    p.jit.hv.handleExit = (x: VmExit) => {
      if (++outs === 4) throw new Error('device model bug');
      void x;
    };
    let stack = '';
    try {
      p.engine.run(1000);
    } catch (e) {
      stack = (e as Error).stack ?? '';
    }
    expect(stack).toContain('device model bug');
    const m = /\((x86jit\/(block_[0-9a-f]+_\d+(?:~\d+)?)\.js):(\d+):(\d+)\)/.exec(stack);
    expect(m, stack).not.toBeNull();
    expect(m![2].startsWith(`block_${hex(LOOP_HEAD)}_`)).toBe(true);
    const json = readFileSync(join(dir, `${m![2]}.js.map`), 'utf8');
    await consume(json, (c) => {
      const pos = c.originalPositionFor({ line: Number(m![3]), column: Number(m![4]) - 1 });
      const listing = c.sourceContentFor(pos.source!)!.split('\n');
      expect(listing[pos.line! - 1]).toMatch(new RegExp(`^${hex(OUT)} {2}out`));
    });
    void MOV_ECX;
  });

  it('a V8 CPU profile of a guest loop, symbolized through the maps: the guest function, per instruction', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'x86jit-maps-'));
    setSourceMaps({ dir, symbolize: (eip) => (eip >= CODE && eip < CODE + 0x100 ? `arith+0x${(eip - CODE).toString(16)}` : null) });
    const session = new Session();
    session.connect();
    const post = <T>(method: string, params?: object) =>
      new Promise<T>((res, rej) => session.post(method, params ?? {}, (err, r) => (err ? rej(err) : res(r as T))));
    let profile: HostProfile;
    try {
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 100 });
      await post('Profiler.start');
      const p = pair(asm(arithLoop(3_000_000)), () => {}, 1);
      while (!p.jit.cpu.halted) p.engine.run(1_000_000);
      profile = (await post<{ profile: HostProfile }>('Profiler.stop')).profile;
    } finally {
      session.disconnect();
    }
    const urls = generatedUrls(profile);
    expect(urls.size).toBeGreaterThan(0);
    const o: SymbolizeOptions = { maps: await loadGeneratedMaps(dir, urls), instructions: new Map() };
    expect(symbolizeHostProfile(profile, noSymbols(), undefined, o)).toBeGreaterThan(0);
    expect(o.mapped).toBeGreaterThan(0);
    const loop = profile.nodes.filter((n) => n.callFrame.functionName === '[guest] arith');
    expect(loop.length).toBeGreaterThan(0);
    expect(loop[0].callFrame.url).toMatch(/^x86jit\/guest\/block_[0-9a-f]{8}_\d+\.asm$/);
    // Samples landed on the loop body's instructions, named by address and offset.
    const hot = [...o.instructions!.keys()];
    expect(hot.length).toBeGreaterThan(1);
    for (const k of hot) expect(k).toMatch(/^0000(100[0-9a-f]|10[1-9a-f][0-9a-f])  [a-z]+ +; arith\+0x[0-9a-f]+$/);
  });
});

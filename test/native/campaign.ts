/**
 * One differential campaign: generate `count` sequences over a list of forms, run them natively
 * (one harness process per batch) and in the interpreter, compare, and summarise per form with one
 * reproducer for each mismatching form.
 */
import { compare, type Diff, reproducer } from './compare.js';
import type { Sequence } from './format.js';
import type { Form } from './gen/form-kit.js';
import { generate, INTEGER_FORMS } from './gen/generate.js';
import { InterpRunner } from './interp-runner.js';
import { KNOWN_FAILING } from './known-failing.js';
import { runNative } from './native-runner.js';
import { Mn } from '../../src/frontend/mnemonics.js';
import { entries } from '../../src/frontend/table.js';

export interface FormStats {
  runs: number;
  bad: number;
  faults: number;
  /** The first mismatch: the sequence and its differences (the reproducer is printed from it). */
  example: { seq: Sequence; diffs: Diff[] } | null;
}

export interface CampaignResult {
  seed: number;
  total: number;
  mismatches: number;
  nativeFaults: number;
  byForm: Map<string, FormStats>;
  /** Every form (main or companion): sequences containing it, and how many of those mismatched. */
  presence: Map<string, { runs: number; bad: number }>;
  /** Kinds of mismatch (the first differing field, with the values for status/vector). */
  kinds: Map<string, number>;
  /** The first sequence of each kind. */
  kindExamples: Map<string, { seq: Sequence; diffs: Diff[] }>;
  /** Form lists of the mismatching sequences (to tell root causes from companions). */
  failing: string[][];
  /** Sequences where the table-derived undefined flags differ from the generator's SDM reading. */
  flagNotes: Map<string, { count: number; example: string }>;
  /** JIT campaign: the engine's counters. */
  jitNote: string;
  /** Sequences not run (JIT campaign: the interpreter or the CPU did not complete them). */
  skipped: number;
  /** Table entries executed (by id). */
  executed: Uint8Array;
  /** JIT campaign (InterpRunner.jitExpected / jitInlined): osize bits run through the JIT, and translated inline. */
  jitExpected: Uint8Array;
  jitInlined: Uint8Array;
  jitCalled: Uint8Array;
  jitCalledNonFlat: Uint8Array;
  nativeMs: number;
  interpMs: number;
  genMs: number;
}

/** The GS selector of the native process (glibc's TLS segment), read by a one-instruction probe. */
export function hostGs(harness: string): number {
  const probe = generate(0, 0, 1, INTEGER_FORMS)[0];
  probe.code = Uint8Array.of(0x8c, 0xe8); // mov eax, gs
  return runNative(harness, [probe])[0].regs[0] & 0xffff;
}

/**
 * `engine: 'jit'` runs every sequence in the interpreter first (for the instruction count and the
 * undefined-flag mask), then through the JIT, and compares the JIT's state with the native one;
 * sequences the interpreter or the CPU do not complete are not run through the JIT.
 */
export function campaign(harness: string, forms: readonly Form[], seed: number, count: number, engine: 'interp' | 'jit' = 'interp', firstId = 0, batch = 20000): CampaignResult {
  const runner = new InterpRunner(hostGs(harness));
  const res: CampaignResult = { seed, jitNote: '', skipped: 0, executed: runner.executed, jitExpected: runner.jitExpected, jitInlined: runner.jitInlined, jitCalled: runner.jitCalled, jitCalledNonFlat: runner.jitCalledNonFlat, total: 0, mismatches: 0, nativeFaults: 0, byForm: new Map(), presence: new Map(), kinds: new Map(), kindExamples: new Map(), failing: [], flagNotes: new Map(), nativeMs: 0, interpMs: 0, genMs: 0 };
  for (const f of forms) res.byForm.set(f.name, { runs: 0, bad: 0, faults: 0, example: null });
  for (let first = firstId; first < firstId + count; first += batch) {
    let t = performance.now();
    const seqs: Sequence[] = generate(seed, first, Math.min(batch, firstId + count - first), forms);
    res.genMs += performance.now() - t;
    t = performance.now();
    const native = runNative(harness, seqs);
    res.nativeMs += performance.now() - t;
    t = performance.now();
    for (let k = 0; k < seqs.length; k++) {
      const s = seqs[k], n = native[k];
      let i = runner.run(s);
      if (engine === 'jit') {
        if (i.status !== 0 || i.error || n.status !== 0) { res.skipped++; continue; }
        runner.markRunForJit();
        i = runner.run(s, { budget: i.steps, undefFlags: i.undefFlags });
      }
      const st = res.byForm.get(s.forms[0])!;
      st.runs++;
      res.total++;
      if (n.status) { st.faults++; res.nativeFaults++; }
      const diffs = compare(s, n, i);
      for (const name of new Set(s.forms)) {
        const p = res.presence.get(name) ?? { runs: 0, bad: 0 };
        p.runs++;
        if (diffs.length > 0) p.bad++;
        res.presence.set(name, p);
      }
      if (diffs.length > 0) {
        st.bad++;
        res.mismatches++;
        if (!st.example) st.example = { seq: s, diffs };
        res.failing.push(s.forms);
        const d = diffs[0];
        const kind = d.field === 'status' || d.field === 'vector' || d.field === 'interpreter' || d.field === 'native'
          ? `${d.field}: native ${d.native}, interp ${d.interp.replace(/0x[0-9a-f]+|[0-9a-f]{8}|\d+ steps/g, '…')}` : `${d.field.replace(/\[.*\]|\(mask .*\)/, '[…]')} differs`;
        res.kinds.set(kind, (res.kinds.get(kind) ?? 0) + 1);
        if (!res.kindExamples.has(kind)) res.kindExamples.set(kind, { seq: s, diffs });
      }
      if (i.traced && n.status === 0 && diffs.length === 0 && i.undefFlags !== s.undefFlags) {
        const key = `${s.forms[0]}: table+count rules ${i.undefFlags.toString(16)} vs generator ${s.undefFlags.toString(16)}`;
        const note = res.flagNotes.get(key) ?? { count: 0, example: `seed ${seed} sequence ${s.id}` };
        note.count++;
        res.flagNotes.set(key, note);
      }
    }
    res.interpMs += performance.now() - t;
  }
  const js = runner.jitStats;
  res.jitNote = `MMU: ${runner.cpu.mmu.walks} page walks (odd sequences run with paging on)`;
  if (js) res.jitNote += `; JIT: ${js.blocksCompiled} blocks compiled, ${js.blocksRun} runs, ${js.chainedRuns} chained, ${js.coldInstructions} instructions interpreted cold`;
  return res;
}

/**
 * Human-readable summary. Failing forms are split into root causes (forms that fail often on their
 * own) and forms whose every mismatch has a root-cause form in the same sequence ("via companion");
 * root causes are marked known (known-failing.ts) or NEW. Then one reproducer per failing form.
 */
export function summary(title: string, r: CampaignResult, uncovered: string[] | null = null, maxExamples = 120): string {
  const out: string[] = [];
  const bad = [...r.byForm].filter(([, s]) => s.bad > 0).sort((a, b) => b[1].bad / b[1].runs - a[1].bad / a[1].runs || b[1].bad - a[1].bad);
  const untested = [...r.byForm].filter(([, s]) => s.runs === 0).map(([n]) => n);
  // root-cause suspects: forms (main or companion) whose sequences fail far more often than average
  const threshold = Math.max(0.1, (10 * r.mismatches) / Math.max(1, r.total));
  const suspect = new Set([...r.presence].filter(([, p]) => p.bad >= 3 && p.bad / p.runs >= threshold).map(([n]) => n));
  const viaCompanion = new Set<string>();
  for (const [name, st] of bad) {
    if (suspect.has(name) && st.bad / st.runs >= threshold) continue;
    const mine = r.failing.filter((f) => f[0] === name);
    if (mine.every((f) => f.slice(1).some((c) => suspect.has(c)))) viaCompanion.add(name);
  }
  const roots = bad.filter(([n]) => !viaCompanion.has(n));
  // suspects that fail mostly as companions still are root causes
  for (const n of suspect) if (!roots.some(([m]) => m === n) && r.byForm.has(n)) { roots.push([n, r.byForm.get(n)!]); viaCompanion.delete(n); }
  out.push(`${title}: ${r.total} sequences${r.skipped ? ` (+${r.skipped} not completed by the CPU or the interpreter, skipped)` : ''}, ${r.mismatches} mismatching, ${r.nativeFaults} faulted natively; ` +
    `${r.byForm.size} forms, ${roots.length} failing on their own, ${viaCompanion.size} only next to those; ` +
    `generate ${(r.genMs / 1000).toFixed(1)} s, native ${(r.nativeMs / 1000).toFixed(1)} s, interpreter+compare ${(r.interpMs / 1000).toFixed(1)} s`);
  if (r.jitNote) out.push(r.jitNote);
  if (untested.length) out.push(`forms without a sequence (raise the count): ${untested.length}`);
  if (r.kinds.size) {
    out.push('mismatch kinds (first differing field):');
    for (const [k, n] of [...r.kinds].sort((a, b) => b[1] - a[1]).slice(0, 12)) out.push(`  ${String(n).padStart(6)}  ${k}`);
  }
  for (const [name, s] of roots) {
    const p = r.presence.get(name);
    const anywhere = p && p.bad !== s.bad ? `  (${p.bad}/${p.runs} of the sequences containing it)` : '';
    out.push(`  ${KNOWN_FAILING.has(name) ? 'known' : 'NEW  '} ${String(s.bad).padStart(6)}/${String(s.runs).padEnd(6)} ${name}${anywhere}`);
  }
  if (viaCompanion.size) out.push(`  failing only in sequences that contain one of the forms above: ${[...viaCompanion].join(', ')}`);
  if (uncovered) out.push(`table entries of this campaign's kind never executed (${uncovered.length}): ${uncovered.join('; ')}`);
  const fixed = [...KNOWN_FAILING].filter((n) => r.byForm.has(n) && r.byForm.get(n)!.runs > 0 && r.byForm.get(n)!.bad === 0);
  if (fixed.length) out.push(`known-failing forms that now pass (remove them from known-failing.ts): ${fixed.join(', ')}`);
  if (r.flagNotes.size) {
    out.push('undefined-flag notes (table + SDM count rules differ from the generator; not failures):');
    for (const [k, v] of [...r.flagNotes].sort((a, b) => b[1].count - a[1].count).slice(0, 30)) out.push(`  ${v.count}x ${k} (${v.example})`);
  }
  // one reproducer per root-cause form (objdump costs ~40 ms a call: the first `maxExamples` only),
  // then one per kind of mismatch not shown yet
  const shown = new Set<Sequence>();
  roots.forEach(([, s], k) => {
    if (!s.example) return;
    out.push('', reproducer(r.seed, s.example.seq, s.example.diffs, k < maxExamples, title));
    shown.add(s.example.seq);
  });
  for (const [kind, ex] of r.kindExamples) {
    if (shown.has(ex.seq)) continue;
    out.push('', `(first mismatch of kind "${kind}")`, reproducer(r.seed, ex.seq, ex.diffs, true, title));
  }
  return out.join('\n');
}

/**
 * User-mode table entries (integer or x87) that no sequence executed. Out of scope by design:
 * privileged and system instructions, I/O, INT n/INT3/INT1/INTO (they need a kernel's IDT), SSE,
 * and instructions whose result is host-specific (CPUID, RDTSC, RDTSCP, RDPMC, SGDT/SIDT/SLDT/STR/
 * SMSW, which UMIP traps on this host). The SSE subset (src/cpu/sse) is not generated.
 */
/**
 * JIT campaign, as "ENC o<size>" lines: the table entries marked inline (Entry.jitInline) that
 * the JIT translated as a handler call at some operand size (`called`), or that ran through the JIT
 * at a size it never translated inline (`missing`: run cold, in blocks longer than the budget left).
 */
export function jitInlineCoverage(r: CampaignResult): { called: string[]; calledNonFlat: string[]; missing: string[] } {
  const called: string[] = [], calledNonFlat: string[] = [], missing: string[] = [];
  for (const e of entries) {
    if (!e.jitInline) continue;
    for (const size of [1, 2, 4]) {
      if (r.jitCalled[e.id] & size) called.push(`${e.enc} o${size * 8}`);
      if (r.jitCalledNonFlat[e.id] & size) calledNonFlat.push(`${e.enc} o${size * 8}`);
      else if (r.jitExpected[e.id] & ~r.jitInlined[e.id] & size) missing.push(`${e.enc} o${size * 8}`);
    }
  }
  return { called, calledNonFlat, missing };
}

export function uncoveredEntries(executed: Uint8Array, x87: boolean): string[] {
  const skip = new Set<number>([Mn.INVALID, Mn.IN, Mn.OUT, Mn.INS, Mn.OUTS, Mn.INT, Mn.INT3, Mn.INT1, Mn.INTO, Mn.CPUID, Mn.RDTSC,
    Mn.RDPMC, Mn.SGDT, Mn.SIDT, Mn.SLDT, Mn.STR, Mn.SMSW, Mn.SYSENTER, Mn.SYSEXIT, Mn.FXSAVE, Mn.FXRSTOR,
    Mn.PREFETCH, Mn.LFENCE, Mn.MFENCE, Mn.SFENCE, Mn.CLFLUSH, Mn.VMCALL, Mn.RDTSCP, Mn.LDMXCSR, Mn.STMXCSR]);
  const firstX87 = Mn.FLD;
  const out: string[] = [];
  for (const e of entries) {
    if (executed[e.id] || e.privileged || e.mandatory !== -1 || e.map >= 2 || skip.has(e.mn)) continue;
    if ((e.mn >= firstX87) !== x87) continue;
    out.push(e.enc);
  }
  return out;
}

/**
 * A checker for speedscope's file format, written from its JSON schema
 * (https://www.speedscope.app/file-format-schema.json, generated from speedscope's
 * src/lib/file-format-spec.ts): every `required` field, every type and enum of FileFormat.File,
 * FileFormat.Frame and FileFormat.SampledProfile / EventedProfile, plus the rules the spec states in
 * comments (weights as long as samples, frame indices in range, endValue >= startValue, balanced
 * evented events). Returns the list of violations (empty = valid).
 */
const UNITS = ['bytes', 'microseconds', 'milliseconds', 'nanoseconds', 'none', 'seconds'];
const SCHEMA_URL = 'https://www.speedscope.app/file-format-schema.json';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export function validateSpeedscope(file: unknown): string[] {
  const errs: string[] = [];
  if (!isObj(file)) return ['file: not an object'];
  for (const k of ['$schema', 'profiles', 'shared']) if (!(k in file)) errs.push(`file: missing required "${k}"`);
  if (file.$schema !== SCHEMA_URL) errs.push(`$schema: must be "${SCHEMA_URL}"`);
  if ('name' in file && typeof file.name !== 'string') errs.push('name: not a string');
  if ('activeProfileIndex' in file && !isNum(file.activeProfileIndex)) errs.push('activeProfileIndex: not a number');
  if ('exporter' in file && typeof file.exporter !== 'string') errs.push('exporter: not a string');
  let nFrames = 0;
  if (!isObj(file.shared) || !Array.isArray(file.shared.frames)) errs.push('shared.frames: missing or not an array');
  else {
    nFrames = file.shared.frames.length;
    file.shared.frames.forEach((f, i) => {
      if (!isObj(f) || typeof f.name !== 'string') errs.push(`shared.frames[${i}]: needs a string "name"`);
      else {
        if ('file' in f && typeof f.file !== 'string') errs.push(`shared.frames[${i}].file: not a string`);
        for (const k of ['line', 'col']) if (k in f && !isNum(f[k])) errs.push(`shared.frames[${i}].${k}: not a number`);
      }
    });
  }
  if (!Array.isArray(file.profiles)) return [...errs, 'profiles: not an array'];
  file.profiles.forEach((p, i) => {
    const at = `profiles[${i}]`;
    if (!isObj(p)) return void errs.push(`${at}: not an object`);
    const required = p.type === 'sampled' ? ['endValue', 'name', 'samples', 'startValue', 'type', 'unit', 'weights'] : ['endValue', 'events', 'name', 'startValue', 'type', 'unit'];
    if (p.type !== 'sampled' && p.type !== 'evented') errs.push(`${at}.type: must be "sampled" or "evented"`);
    for (const k of required) if (!(k in p)) errs.push(`${at}: missing required "${k}"`);
    if (typeof p.name !== 'string') errs.push(`${at}.name: not a string`);
    if (!UNITS.includes(p.unit as string)) errs.push(`${at}.unit: not one of ${UNITS.join(', ')}`);
    if (!isNum(p.startValue) || !isNum(p.endValue)) errs.push(`${at}: startValue/endValue not numbers`);
    else if (p.endValue < p.startValue) errs.push(`${at}: endValue < startValue`);
    if (p.type === 'sampled') {
      if (!Array.isArray(p.samples) || !Array.isArray(p.weights)) return void errs.push(`${at}: samples/weights not arrays`);
      if (p.samples.length !== p.weights.length) errs.push(`${at}: ${p.samples.length} samples but ${p.weights.length} weights`);
      p.samples.forEach((s, j) => {
        if (!Array.isArray(s)) return void errs.push(`${at}.samples[${j}]: not an array`);
        for (const x of s) if (!isNum(x) || !Number.isInteger(x) || x < 0 || x >= nFrames) return void errs.push(`${at}.samples[${j}]: bad frame index ${String(x)}`);
      });
      p.weights.forEach((w, j) => {
        if (!isNum(w) || w < 0) errs.push(`${at}.weights[${j}]: not a non-negative number`);
      });
    } else if (p.type === 'evented') {
      if (!Array.isArray(p.events)) return void errs.push(`${at}.events: not an array`);
      const open: number[] = [];
      let last = -Infinity;
      for (const [j, e] of p.events.entries()) {
        if (!isObj(e) || (e.type !== 'O' && e.type !== 'C') || !isNum(e.at) || !isNum(e.frame)) return void errs.push(`${at}.events[${j}]: malformed`);
        if (e.at < last) errs.push(`${at}.events[${j}]: "at" goes backwards`);
        last = e.at;
        if (e.type === 'O') open.push(e.frame);
        else if (open.pop() !== e.frame) errs.push(`${at}.events[${j}]: close does not match the open frame`);
      }
      if (open.length > 0) errs.push(`${at}: ${open.length} frames never closed`);
    }
  });
  return errs;
}

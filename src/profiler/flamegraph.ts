/**
 * A flame graph of the sampled guest stacks as one self-contained HTML file: an inline SVG (boxes =
 * guest functions, width = share of samples, callers below their callees, as Brendan Gregg's
 * flamegraph.pl draws them) with a few lines of inline script to zoom on click. No network, no
 * external scripts, styles or fonts: it opens offline in any browser.
 *
 *   writeFileSync('boot.html', flameGraphHtml(prof, symbols, 'x86jit boot'));
 */
import type { Profiler } from './profiler.js';
import { sampleStacks } from './speedscope.js';
import type { SymbolTable } from './symbols.js';

const WIDTH = 1200;
const ROW = 17;
const PAD = 10;
/** Boxes narrower than this (pixels) are left out: unreadable, and they would bloat the file. */
const MIN_WIDTH = 0.3;
/** Approximate width of one character of the 12 px monospace font. */
const CHAR = 7.2;

export interface FlameNode {
  name: string;
  samples: number;
  children: Map<string, FlameNode>;
}

/** Merge stacks (root first) into a call tree under one root. */
export function callTree(names: string[], stacks: number[][]): FlameNode {
  const root: FlameNode = { name: 'all', samples: 0, children: new Map() };
  for (const st of stacks) {
    root.samples++;
    let n = root;
    for (const f of st) {
      const name = names[f];
      let c = n.children.get(name);
      if (c === undefined) {
        c = { name, samples: 0, children: new Map() };
        n.children.set(name, c);
      }
      c.samples++;
      n = c;
    }
  }
  return root;
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A warm colour from the name, so one function has one colour everywhere. */
function colour(name: string): string {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (Math.imul(h, 31) + name.charCodeAt(i)) >>> 0;
  if (name.startsWith('[') || name.startsWith('(')) return `rgb(${150 + (h % 40)},${150 + (h % 40)},${190 + (h % 50)})`;
  return `rgb(${205 + (h % 50)},${(h >>> 8) % 160 + 40},${(h >>> 16) % 55})`;
}

/** Text that fits in `w` pixels: the name, or a cut with "..", or nothing. */
export function fitLabel(name: string, w: number): string {
  const chars = Math.floor((w - 6) / CHAR);
  if (chars >= name.length) return name;
  return chars >= 4 ? name.slice(0, chars - 2) + '..' : '';
}

function depthOf(n: FlameNode): number {
  let d = 0;
  for (const c of n.children.values()) d = Math.max(d, depthOf(c));
  return d + 1;
}

/** The SVG: one <g> per box, with data-x/data-w (fractions of the width) for zooming. */
export function flameGraphSvg(tree: FlameNode, unit: (samples: number) => string): string {
  const depth = depthOf(tree);
  const height = depth * ROW + 2 * PAD + 24;
  const total = Math.max(1, tree.samples);
  const boxes: string[] = [];
  const walk = (n: FlameNode, x: number, d: number) => {
    const w = (n.samples / total) * WIDTH;
    if (w < MIN_WIDTH) return;
    const y = height - PAD - (d + 1) * ROW;
    const pct = ((100 * n.samples) / total).toFixed(2);
    const title = `${n.name} (${unit(n.samples)}, ${pct}%)`;
    boxes.push(
      `<g data-x="${(x / WIDTH).toFixed(6)}" data-w="${(w / WIDTH).toFixed(6)}" data-n="${escapeXml(n.name)}"><title>${escapeXml(title)}</title>` +
        `<rect x="${(PAD + x).toFixed(1)}" y="${y}" width="${Math.max(0.1, w - 0.5).toFixed(1)}" height="${ROW - 1}" rx="2" fill="${colour(n.name)}"/>` +
        `<text x="${(PAD + x + 3).toFixed(1)}" y="${y + ROW - 5}">${escapeXml(fitLabel(n.name, w))}</text></g>`,
    );
    let cx = x;
    for (const c of [...n.children.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      walk(c, cx, d + 1);
      cx += (c.samples / total) * WIDTH;
    }
  };
  walk(tree, 0, 0);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" id="flame" width="${WIDTH + 2 * PAD}" height="${height}" viewBox="0 0 ${WIDTH + 2 * PAD} ${height}">` +
    `<rect width="100%" height="100%" fill="#fdfdf8"/>` +
    `<text id="hint" x="${PAD}" y="${PAD + 12}">Click a box to zoom on it, click the bottom box to zoom out; hover for counts.</text>` +
    boxes.join('\n') +
    `</svg>`
  );
}

/** Zoom: the clicked box fills the width; boxes outside it are hidden, labels refitted. */
const ZOOM_SCRIPT = `
(function () {
  var W = ${WIDTH}, PAD = ${PAD}, CHAR = ${CHAR};
  var gs = Array.prototype.slice.call(document.querySelectorAll('#flame g'));
  function fit(name, w) { var c = Math.floor((w - 6) / CHAR); return c >= name.length ? name : c >= 4 ? name.slice(0, c - 2) + '..' : ''; }
  function zoom(x0, w0) {
    gs.forEach(function (g) {
      var x = (parseFloat(g.dataset.x) - x0) / w0, w = parseFloat(g.dataset.w) / w0;
      var l = Math.max(0, x), r = Math.min(1, x + w);
      if (r - l <= 1e-9) { g.style.display = 'none'; return; }
      g.style.display = '';
      var rect = g.querySelector('rect'), text = g.querySelector('text');
      rect.setAttribute('x', PAD + l * W); rect.setAttribute('width', Math.max(0.1, (r - l) * W - 0.5));
      text.setAttribute('x', PAD + l * W + 3); text.textContent = fit(g.dataset.n, (r - l) * W);
    });
  }
  gs.forEach(function (g) { g.addEventListener('click', function () { zoom(parseFloat(g.dataset.x), parseFloat(g.dataset.w)); }); });
})();
`;

/** The whole page for `p`'s samples, frames named with `symbols`. */
export function flameGraphHtml(p: Profiler, symbols: SymbolTable, title = 'x86jit guest profile'): string {
  const { frames, stacks } = sampleStacks(p, symbols);
  const tree = callTree(frames.map((f) => f.name), stacks);
  const period = p.sampler.period;
  const unit = (n: number) => `${n} samples, ~${(n * period).toLocaleString('en-US')} instructions`;
  const heading = `${escapeXml(title)}: ${stacks.length.toLocaleString('en-US')} samples, one every ${period.toLocaleString('en-US')} guest instructions`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title>
<style>
body { margin: 0; font-family: sans-serif; background: #fdfdf8; }
h1 { font-size: 15px; font-weight: normal; margin: 8px 10px; }
#flame text { font-family: monospace; font-size: 12px; fill: #000; pointer-events: none; }
#flame g { cursor: pointer; }
#flame g:hover rect { stroke: #000; stroke-width: 0.5; }
</style></head>
<body><h1>${heading}</h1>
${flameGraphSvg(tree, unit)}
<script>${ZOOM_SCRIPT}</script>
</body></html>
`;
}

/**
 * Watches the guest console for a Linux kernel panic. kernel/panic.c panic() prints
 * "Kernel panic - not syncing: <reason>", a stack dump, then either "Rebooting in N seconds.."
 * followed by a reset (panic=N > 0; at once for panic=N < 0), or "---[ end Kernel panic - not
 * syncing: <reason> ]---" and a busy loop forever (panic=0). The watch reports the panic line at
 * once (`panicLine`) and says when the panic is complete, so the machine can stop with the panic
 * status instead of looping or booting again; the stack dump in between still reaches the console.
 *
 *   const w = new PanicWatch();
 *   for (const b of consoleBytes) if (w.feed(b)) stop(w.panicLine);  // also stop on a reset once w.panicLine
 */
const PANIC = 'Kernel panic - not syncing';
/** After the panic line: the lines that end what panic() prints. */
const END = /^(?:\[[^\]]*\]\s*)?(?:---\[ end Kernel panic|Rebooting in -?\d+ seconds)/;
/** Longest console line kept (the rest of a longer line is ignored). */
const MAX_LINE = 1024;

export class PanicWatch {
  /** The panic line (from "Kernel panic" on), once seen. */
  panicLine: string | null = null;
  private line = '';

  /** Feed one console byte; true when the panic is complete (its last line was printed). */
  feed(b: number): boolean {
    if (b !== 0x0a) {
      if (b !== 0x0d && this.line.length < MAX_LINE) this.line += String.fromCharCode(b);
      return false;
    }
    const text = this.line;
    this.line = '';
    if (this.panicLine === null) {
      const at = text.indexOf(PANIC);
      if (at >= 0) this.panicLine = text.slice(at);
      return false;
    }
    return END.test(text);
  }
}

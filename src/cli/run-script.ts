/**
 * What `x86jit run` types into the guest shell, and how it finds the command's output and exit
 * status in the console text that comes back.
 *
 * The line is `printf BEGIN; eval 'COMMAND' </dev/null; printf "END $?"` with markers the echo of
 * the typed line cannot contain: printf joins "X86JIT-BEGIN" and the nonce with a dash only when
 * it runs, so the echoed line (and busybox's redraws of it) never matches the markers. eval makes
 * COMMAND one shell command as `sh -c` would (a syntax error is status 2, not a hung shell), and
 * /dev/null keeps a command that reads stdin from waiting for input no one will type.
 */

const BEGIN = 'X86JIT-BEGIN';
const END = 'X86JIT-END';

/** Single-quote `s` for a POSIX shell. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The line to type (with its newline) to run `command` (the words after --, joined as ssh does). */
export function commandLine(command: string[], nonce: string): string {
  const cmd = command.join(' ');
  return `printf '%s-%s\\n' ${BEGIN} ${nonce}; eval ${shellQuote(cmd)} </dev/null; printf '%s-%s %s\\n' ${END} ${nonce} "$?"\n`;
}

/** Matches the start marker's output line. */
export function beginPattern(nonce: string): RegExp {
  return new RegExp(`${BEGIN}-${nonce}\\r?\\n`);
}

/** Matches the end marker's output; capture 1 is the exit status. Output without a final newline ends right before it. */
export function endPattern(nonce: string): RegExp {
  return new RegExp(`${END}-${nonce} (\\d+)\\r?\\n`);
}

/**
 * Where the part of `text` that may yet become the end marker starts (text.length if none): a
 * suffix that begins the marker line, or a lone CR whose LF is still to come. Output before it can
 * be written out now.
 */
export function pendingMarkerStart(text: string, nonce: string): number {
  const prefix = `${END}-${nonce} `;
  const whole = new RegExp(`^${prefix}\\d{0,3}\\r?$`);
  for (let i = Math.max(0, text.length - prefix.length - 4); i < text.length; i++) {
    const s = text.slice(i);
    if (prefix.startsWith(s) || whole.test(s)) return i;
  }
  return text.endsWith('\r') ? text.length - 1 : text.length;
}

/** Console text to the command's stdout: the tty's CR LF back to LF. */
export function commandOutput(text: string): string {
  return text.replace(/\r\n/g, '\n');
}

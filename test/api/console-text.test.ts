/** ConsoleText (src/api/console-text.ts), the text waitFor matches, fed bytes directly. */
import { describe, expect, test } from 'vitest';
import { ConsoleText } from '../../src/api/console-text.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('ConsoleText', () => {
  test('UTF-8 split between chunks decodes whole', async () => {
    const t = new ConsoleText();
    const e = bytes('größe: 5 €\n');
    t.push(e.subarray(0, 3));
    t.push(e.subarray(3, 12));
    t.push(e.subarray(12));
    expect((await t.waitFor('\n', { timeout: 1000 })).before).toBe('größe: 5 €');
  });

  test('a waiter gets all the text before its match, beyond the 1 Mi kept otherwise', async () => {
    const t = new ConsoleText();
    const p = t.waitFor('END', { timeout: 5000 });
    const line = 'x'.repeat(1023) + '\n';
    for (let i = 0; i < 1536; i++) t.push(bytes(line));
    t.push(bytes('END'));
    expect((await p).before.length).toBe(1536 * 1024);
  });

  test('with no waiter only the last 1 Mi characters are kept', async () => {
    const t = new ConsoleText();
    t.push(bytes('START'));
    for (let i = 0; i < 1100; i++) t.push(bytes('y'.repeat(1024)));
    t.push(bytes('END'));
    expect((await t.waitFor('END', { timeout: 1000 })).before).toBe('y'.repeat((1 << 20) - 3));
  });
});

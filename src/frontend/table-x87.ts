/**
 * The x87 part of the instruction table (D8-DF). Same line format as table-int.ts.
 */
export const X87_TABLE: readonly string[] = [];

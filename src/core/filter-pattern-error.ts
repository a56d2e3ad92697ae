/** A malformed filter pattern, with the 1-based column of the character the parser stopped at. */
export class PatternSyntaxError extends Error {
  /** 1-based position (in UTF-16 code units) in `pattern` of the character the parser stopped at. */
  readonly column: number;
  readonly pattern: string;

  constructor(problem: string, column: number, pattern: string) {
    super(`${problem} at column ${column}`);
    this.name = 'PatternSyntaxError';
    this.column = column;
    this.pattern = pattern;
  }
}

/** How an error message names the character at `index`: printable ASCII as itself, anything else as U+XXXX. */
export function describeAt(source: string, index: number): string {
  if (index >= source.length) return 'the end of the pattern';
  const code = source.codePointAt(index) as number;
  if (code === 0x20) return 'a space';
  if (code > 0x20 && code < 0x7f) return `'${String.fromCharCode(code)}'`;
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * A file of SQL split into statements on `;`, as DuckDB's lexer (PostgreSQL's) reads the text: a
 * `;` inside a string ('it''s', E'\''), a quoted name ("a;b"), a comment (-- to the end of the
 * line, nested /* *\/ blocks) or a dollar-quoted string ($$...$$, $tag$...$tag$) does not end a
 * statement. Statements are split before they are run, so one that fails does not undo the ones
 * before it.
 */

export interface SqlStatement {
  /** The statement's text, without the `;` that ends it, trimmed. */
  readonly sql: string;
  /** Its place among the statements of the file, from 1 (empty statements are not counted). */
  readonly number: number;
  /** The line of the file its text starts on, from 1. */
  readonly line: number;
}

const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;

/** The end (exclusive) of the dollar-quote tag that starts at `i`, if a tag starts there. */
function dollarTag(text: string, i: number): string | undefined {
  if (text[i] !== '$') return undefined;
  let j = i + 1;
  if (text[j] === '$') return '$$';
  if (!IDENT_START.test(text[j] ?? '')) return undefined;
  while (j < text.length && /[A-Za-z0-9_\u0080-\uffff]/.test(text[j] as string)) j++;
  return text[j] === '$' ? text.slice(i, j + 1) : undefined;
}

/** Whether the text between statements holds anything but blanks and comments. */
function hasCode(sql: string): boolean {
  return codeStart(sql) < sql.length;
}

/** Where the first token that is not a comment starts. */
function codeStart(sql: string): number {
  let i = 0;
  for (;;) {
    while (i < sql.length && /\s/.test(sql[i] as string)) i++;
    if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
      continue;
    }
    if (sql.startsWith('/*', i)) {
      i = blockCommentEnd(sql, i);
      continue;
    }
    return i;
  }
}

/** The end (exclusive) of the block comment that starts at `i`; comments nest. */
function blockCommentEnd(text: string, i: number): number {
  let depth = 0;
  let j = i;
  while (j < text.length) {
    if (text.startsWith('/*', j)) {
      depth++;
      j += 2;
    } else if (text.startsWith('*/', j)) {
      depth--;
      j += 2;
      if (depth === 0) return j;
    } else {
      j++;
    }
  }
  return text.length;
}

/** Splits `text` into its statements; statements holding only blanks and comments are skipped. */
export function splitStatements(text: string): SqlStatement[] {
  const out: SqlStatement[] = [];
  let start = 0;
  let i = 0;
  const take = (end: number) => {
    const raw = text.slice(start, end);
    if (hasCode(raw)) {
      const lead = raw.length - raw.trimStart().length;
      const line = text.slice(0, start + lead).split('\n').length;
      out.push({ sql: raw.trim(), number: out.length + 1, line });
    }
  };
  while (i < text.length) {
    const c = text[i] as string;
    const prev = i > 0 ? (text[i - 1] as string) : '';
    if (c === ';') {
      take(i);
      i++;
      start = i;
    } else if (c === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end + 1;
    } else if (c === '/' && text[i + 1] === '*') {
      i = blockCommentEnd(text, i);
    } else if (c === "'") {
      // E'...' (a standalone E or e before the quote): a backslash escapes the next character.
      const escapes = (prev === 'E' || prev === 'e') && !IDENT_CHAR.test(text[i - 2] ?? '');
      i++;
      while (i < text.length) {
        if (escapes && text[i] === '\\') {
          i += 2;
          continue;
        }
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            i += 2;
            continue;
          }
          break;
        }
        i++;
      }
      i++;
    } else if (c === '"') {
      i++;
      while (i < text.length) {
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            i += 2;
            continue;
          }
          break;
        }
        i++;
      }
      i++;
    } else if (c === '$' && !IDENT_CHAR.test(prev)) {
      const tag = dollarTag(text, i);
      if (tag === undefined) {
        i++;
        continue;
      }
      const end = text.indexOf(tag, i + tag.length);
      i = end < 0 ? text.length : end + tag.length;
    } else {
      i++;
    }
  }
  take(text.length);
  return out;
}

/** The first line of a statement's code (past leading comments), for naming it in a message. */
export function firstLine(sql: string): string {
  const code = sql.slice(codeStart(sql));
  return (code.split('\n')[0] ?? '').trim();
}

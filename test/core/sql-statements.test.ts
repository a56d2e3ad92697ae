import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstLine, splitStatements } from '../../src/core/sql-statements.js';
import { openDuck, type DuckSession } from '../../src/sources/duckdb.js';

const CASES: [string, string, string[]][] = [
  ['plain statements', 'SELECT 1; SELECT 2;', ['SELECT 1', 'SELECT 2']],
  ['no final ;', 'SELECT 1;\nSELECT 2', ['SELECT 1', 'SELECT 2']],
  ['; in a string', "SELECT 'a;b'; SELECT 2", ["SELECT 'a;b'", 'SELECT 2']],
  ["'' inside a string", "SELECT 'it''s; here'; SELECT 2", ["SELECT 'it''s; here'", 'SELECT 2']],
  ['an E string with \\\'', "SELECT E'a\\';b'; SELECT 2", ["SELECT E'a\\';b'", 'SELECT 2']],
  ['a backslash is no escape in a plain string', "SELECT 'a\\'; SELECT 2", ["SELECT 'a\\'", 'SELECT 2']],
  ['; in a quoted name', 'SELECT 1 AS "a;""b"; SELECT 2', ['SELECT 1 AS "a;""b"', 'SELECT 2']],
  ['; in a line comment', 'SELECT 1 -- not; here\n; SELECT 2', ['SELECT 1 -- not; here', 'SELECT 2']],
  ['; in a block comment', 'SELECT /* ; */ 1; SELECT 2', ['SELECT /* ; */ 1', 'SELECT 2']],
  ['nested block comments', 'SELECT /* a /* ; */ ; */ 1; SELECT 2', ['SELECT /* a /* ; */ ; */ 1', 'SELECT 2']],
  ['dollar quoting', 'SELECT $$a;b$$; SELECT 2', ['SELECT $$a;b$$', 'SELECT 2']],
  ['tagged dollar quoting', 'SELECT $x$a;$$;b$x$; SELECT 2', ['SELECT $x$a;$$;b$x$', 'SELECT 2']],
  ['empty statements are skipped', ';; SELECT 1 ;  ; -- only a comment\n; /* and this */ ;', ['SELECT 1']],
  ['a comment before a statement stays with it', '-- events: title\nSELECT 1;', ['-- events: title\nSELECT 1']],
];

describe('splitStatements', () => {
  it.each(CASES)('%s', (_name, text, expected) => {
    expect(splitStatements(text).map((s) => s.sql)).toEqual(expected);
  });

  it('numbers statements from 1 and gives the line each starts on', () => {
    const s = splitStatements('\n\nSELECT 1;\n;\n  SELECT\n 2;');
    expect(s.map((x) => [x.number, x.line])).toEqual([[1, 3], [2, 5]]);
  });

  it('firstLine skips leading comments', () => {
    expect(firstLine('-- a: b\n/* c */ SELECT x\nFROM y')).toBe('SELECT x');
  });
});

describe('splitStatements agrees with DuckDB on where statements end', () => {
  let duck: DuckSession;
  beforeAll(async () => {
    duck = await openDuck({ threads: 1 });
  });
  afterAll(() => duck.close());

  const count = async (sql: string) => (await duck.connection.extractStatements(sql)).count;

  it.each(CASES.filter(([name]) => !name.startsWith('empty')))('%s', async (_name, text, expected) => {
    expect(await count(text)).toBe(expected.length);
    // And each piece is one statement by itself.
    for (const piece of splitStatements(text)) expect(await count(piece.sql)).toBe(1);
  });

  it('on generated statements with strings, names, comments and dollar quotes holding ; and quotes', async () => {
    // Operands of a string concatenation, some followed by a comment.
    const atom = fc.constantFrom("'a;b'", "'it''s'", '(SELECT 1 AS "x;""y")', '$$;$$', '$t$;$$;$t$', "E'\\';'", "'c' /* ; /* ; */ */", "'d' -- ;\n", '1');
    const statement = fc.array(atom, { minLength: 1, maxLength: 6 }).map((atoms) => `SELECT ${atoms.join(' || ')}`);
    await fc.assert(fc.asyncProperty(fc.array(statement, { minLength: 1, maxLength: 4 }), async (statements) => {
      const text = statements.map((s) => `${s};\n-- a comment; with a ;\n`).join('');
      const split = splitStatements(text);
      expect(split.map((s) => s.sql)).toEqual(statements.map((s, i) => (i === 0 ? s : `-- a comment; with a ;\n${s}`).trim()));
      expect(await count(text)).toBe(statements.length);
    }), { numRuns: 60 });
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundedJson, fieldColumns } from '../../src/output/event-format.js';
import { safeJson, safeLines } from '../../src/output/terminal-safe.js';

describe('boundedJson', () => {
  it('writes what JSON.stringify writes, when it fits', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        if (text.length <= 4096) expect(boundedJson(value)).toBe(text);
      }),
      { numRuns: 1000 },
    );
  });

  it('stops soon after the limit, on wide and on deep values, without recursion', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    const out = boundedJson(deep, 100);
    expect(out.length).toBeLessThanOrEqual(101);
    expect(out).toBe('['.repeat(out.length));
    expect(boundedJson(Array.from({ length: 1_000_000 }, (_, i) => i), 50).length).toBeLessThan(60);
  });

  it('shows a deeply nested field in a --fields column', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 500_000; i++) deep = { a: deep };
    const [column] = fieldColumns(['requestParameters']);
    expect(column?.value({ requestParameters: deep })).toMatch(/^\{"a":\{"a":/);
  });
});

describe('safeJson and safeLines', () => {
  it('escapes C1 controls, DEL, bidi and invisible characters in JSON text, keeping the value', () => {
    const value = { to: 'a\u009b31mb\u202ec\u200bd\u007f\u2028e' };
    const text = safeJson(value);
    expect(text).toBe('{"to":"a\\u009b31mb\\u202ec\\u200bd\\u007f\\u2028e"}');
    expect(JSON.parse(text)).toEqual(value);
  });

  it('escapes each line of a multi-line text and keeps the line breaks', () => {
    expect(safeLines('Error: x\u001b[2J\n    at y (\u202ez.js:1:1)')).toBe('Error: x\\x1b[2J\n    at y (\\u202ez.js:1:1)');
  });
});

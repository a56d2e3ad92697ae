import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidTimeError, parseEventTime, parseTimeSpec } from '../../src/core/time-spec.js';

/** 2026-11-20T12:00:00Z */
const NOW = new Date(1_795_176_000_000);

describe('parseTimeSpec', () => {
  const accepted: [spec: string, epochMs: number][] = [
    ['now', 1_795_176_000_000],
    // durations before now
    ['0s', 1_795_176_000_000],
    ['90s', 1_795_175_910_000],
    ['15m', 1_795_175_100_000],
    ['2h', 1_795_168_800_000],
    ['7d', 1_794_571_200_000],
    ['1w', 1_794_571_200_000],
    ['1h30m', 1_795_170_600_000],
    ['1d12h', 1_795_046_400_000],
    ['1w2d3h4m5s', 1_794_387_355_000],
    ['120m', 1_795_168_800_000],
    // dates and date-times; no zone means UTC
    ['2026-11-20', 1_795_132_800_000],
    ['2026-11-20T10:00', 1_795_168_800_000],
    ['2026-11-20T10:00:00', 1_795_168_800_000],
    ['2026-11-20T10:00:00Z', 1_795_168_800_000],
    ['2026-11-20t10:00:00z', 1_795_168_800_000],
    ['2026-11-20 10:00', 1_795_168_800_000],
    ['2026-11-20 10:00:00', 1_795_168_800_000],
    ['2026-11-20T10:00Z', 1_795_168_800_000],
    ['2026-11-20T10:00:00.123Z', 1_795_168_800_123],
    ['2026-11-20T10:00:00.5Z', 1_795_168_800_500],
    ['2026-11-20T10:00:00,5Z', 1_795_168_800_500],
    ['2026-11-20T10:00:00.123456789Z', 1_795_168_800_123],
    ['2026-11-20T10:00:00.9999', 1_795_168_800_999],
    ['2026-11-20T10:00:00+02:00', 1_795_161_600_000],
    ['2026-11-20T10:00:00+0200', 1_795_161_600_000],
    ['2026-11-20T10:00+02', 1_795_161_600_000],
    ['2026-11-20 10:00:00.250+02:00', 1_795_161_600_250],
    ['2026-11-20T10:00:00-03:30', 1_795_181_400_000],
    ['2026-11-20T10:00:00+00:00', 1_795_168_800_000],
    ['2026-11-20T10:00:00-00:00', 1_795_168_800_000],
    ['2026-11-20T00:00:00+14:00', 1_795_082_400_000],
    ['2024-02-29', 1_709_164_800_000],
    ['2000-02-29T23:59:59Z', 951_868_799_000],
    ['1970-01-01', 0],
    ['1969-12-31T23:59:59Z', -1000],
    ['0000-01-01', -62_167_219_200_000],
    ['0050-06-15', -60_575_040_000_000],
    ['9999-12-31T23:59:59.999Z', 253_402_300_799_999],
    // ISO 8601 basic format, as aws-cli users pass it
    ['20261120T100000Z', 1_795_168_800_000],
    ['20261120t100000z', 1_795_168_800_000],
    ['20261120T1000Z', 1_795_168_800_000],
    ['20261120T100000', 1_795_168_800_000],
    ['20261120T100000.5Z', 1_795_168_800_500],
    ['20261120T100000+0200', 1_795_161_600_000],
    ['20261120T100000-03', 1_795_179_600_000],
    ['20261120', 1_795_132_800_000],
    ['20240229', 1_709_164_800_000],
    // epoch seconds (nine digits or more: eight digits are a basic-format date)
    ['1795168800', 1_795_168_800_000],
    ['1795168800.25', 1_795_168_800_250],
    ['100000000', 100_000_000_000],
    // days, 00:00 UTC
    ['today', 1_795_132_800_000],
    ['yesterday', 1_795_046_400_000],
  ];

  it.each(accepted)('%s', (spec, epochMs) => {
    expect(parseTimeSpec(spec, NOW).getTime()).toBe(epochMs);
  });

  it('does not modify or return now itself', () => {
    const now = new Date(NOW.getTime());
    const result = parseTimeSpec('now', now);
    expect(result).not.toBe(now);
    parseTimeSpec('1h', now);
    expect(now.getTime()).toBe(NOW.getTime());
  });

  const rejected: [spec: string, reason?: string][] = [
    ['', 'empty'],
    ['Yesterday'],
    ['tomorrow'],
    ['20261320', 'month 13 does not exist'],
    ['20250229', 'day 29 does not exist in 2025-02'],
    ['20261120T2400Z', 'hour 24 is out of range 00-23'],
    ['20261120T10Z'],
    ['20261120T10:00:00Z'],
    ['2026-11-20T100000Z'],
    ['2026112'],
    ['12345678901234'],
    ['1795168800.'],
    ['-1795168800'],
    ['2026-13-01', 'month 13 does not exist'],
    ['2026-00-10', 'month 00 does not exist'],
    ['2026-02-30', 'day 30 does not exist in 2026-02'],
    ['2026-11-31', 'day 31 does not exist in 2026-11'],
    ['2026-11-00', 'day 00 does not exist in 2026-11'],
    ['2025-02-29', 'day 29 does not exist in 2025-02'],
    ['1900-02-29', 'day 29 does not exist in 1900-02'],
    ['2026-11-20T24:00', 'hour 24 is out of range 00-23'],
    ['2026-11-20T10:60', 'minute 60 is out of range 00-59'],
    ['2026-11-20T10:00:60Z', 'second 60 is out of range 00-59'],
    ['2026-11-20T10:00:00+24:00', 'offset +24:00 is out of range'],
    ['2026-11-20T10:00:00+02:60', 'offset +02:60 is out of range'],
    ['2026-11-20T10:00:00-2400', 'offset -2400 is out of range'],
    ['-5m'],
    ['+5m'],
    ['15x'],
    ['15'],
    ['1.5h'],
    ['1 h'],
    [' 2h'],
    ['2h '],
    ['2H'],
    ['NOW'],
    ['now-1h'],
    ['30m1h'],
    ['1h1h'],
    ['h'],
    ['1M'],
    ['1y'],
    ['1ms'],
    ['99999999999999999999w', 'too far in the past'],
    ['2026-11-20T10'],
    ['2026-11-20Z'],
    ['2026-11-20T10:00:00+02:'],
    ['2026-11-20T10:00:00+2:00'],
    ['2026-11-20T10:00:00.Z'],
    ['2026-11-20T10:00:00 Z'],
    ['2026-11-20T10:00:00ZZ'],
    ['2026-11-20T10:00:00Z[UTC]'],
    ['2026-11-20T10:0:00Z'],
    ['26-11-20'],
    ['2026-1-20'],
    ['2026/11/20'],
    ['2026-11-20T10:00:00Z\n'],
    ['Fri, 20 Nov 2026 10:00:00 GMT'],
  ];

  it.each(rejected)('rejects %j', (spec, reason) => {
    let thrown: unknown;
    try {
      parseTimeSpec(spec, NOW);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidTimeError);
    const message = (thrown as Error).message;
    expect(message).not.toMatch(/[\n\r]/);
    if (!spec.includes('\n')) expect(message.startsWith(`'${spec}' is not a valid time`)).toBe(true);
    if (reason !== undefined) expect(message).toContain(`(${reason})`);
    expect(message).toContain('2026-11-20T10:00:00Z');
    expect(message).toContain('1h30m');
    expect(message).toContain("'now'");
  });

  it('gives the exact message for an unrecognised form', () => {
    expect(() => parseTimeSpec('tomorrow', NOW)).toThrow(
      new InvalidTimeError(
        "'tomorrow' is not a valid time: expected an ISO 8601 date or date-time (2026-11-20, 2026-11-20T10:00, " +
          '2026-11-20 10:00:00.5+02:00, 2026-11-20T10:00:00Z, or basic 20261120T100000Z; no zone means UTC), ' +
          'epoch seconds (1795168800), a duration before now (90s, 15m, 2h, 7d, 1w, 1h30m), ' +
          "'today', 'yesterday' or 'now'",
      ),
    );
    expect(() => parseTimeSpec('2026-11-20T10:00:00Z\n', NOW)).toThrow("'2026-11-20T10:00:00Z\\u000a' is not a valid time");
  });

  it('agrees with Date.parse on generated ISO date-times with offsets', () => {
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    fc.assert(
      fc.property(
        fc.integer({ min: 1000, max: 9999 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 31 }),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: 0, max: 999 }),
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        (y, mo, d, h, mi, s, ms, offset) => {
          const sign = offset < 0 ? '-' : '+';
          const zone = `${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
          const text = `${y}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}.${pad(ms, 3)}${zone}`;
          const expected = Date.parse(text);
          if (Number.isNaN(expected) || new Date(Date.UTC(y, mo - 1, d)).getUTCDate() !== d) {
            expect(() => parseTimeSpec(text, NOW)).toThrow(InvalidTimeError);
          } else {
            expect(parseTimeSpec(text, NOW).getTime()).toBe(expected);
          }
        },
      ),
    );
  });

  it('either parses or throws InvalidTimeError for arbitrary input', () => {
    const unit = fc.constantFrom(...'0123456789-:T Z.+wdhms'.split(''));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit, maxLength: 30 })), (spec) => {
        try {
          expect(Number.isNaN(parseTimeSpec(spec, NOW).getTime())).toBe(false);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidTimeError);
        }
      }),
    );
  });
});

describe('parseEventTime', () => {
  const table: [value: unknown, epochMs: number | undefined][] = [
    // canonical form (fast path)
    ['2026-11-20T10:00:00Z', 1_795_168_800_000],
    ['2019-01-01T00:00:00Z', 1_546_300_800_000],
    ['2024-02-29T00:00:00Z', 1_709_164_800_000],
    ['2000-02-29T23:59:59Z', 951_868_799_000],
    ['1970-01-01T00:00:00Z', 0],
    ['1969-12-31T23:59:59Z', -1000],
    ['9999-12-31T23:59:59Z', 253_402_300_799_000],
    ['0000-01-01T00:00:00Z', -62_167_219_200_000],
    // other forms (fallback)
    ['2019-01-01 00:00:00', 1_546_300_800_000],
    ['2019-01-01T00:00:00', 1_546_300_800_000],
    ['2019-01-01 00:00:00Z', 1_546_300_800_000],
    ['2026-11-20T10:00:00.123Z', 1_795_168_800_123],
    ['2026-11-20T10:00:00.5Z', 1_795_168_800_500],
    ['2026-11-20T10:00:00.123456Z', 1_795_168_800_123],
    ['2026-11-20T12:00:00+02:00', 1_795_168_800_000],
    ['2026-11-20T12:00:00+0200', 1_795_168_800_000],
    ['2026-11-20t10:00:00z', 1_795_168_800_000],
    // junk
    ['', undefined],
    [null, undefined],
    [undefined, undefined],
    [42, undefined],
    [1_795_168_800_000, undefined],
    [{}, undefined],
    [new Date(0), undefined],
    ['2026-11-20T25:00:00Z', undefined],
    ['2026-11-20T23:60:00Z', undefined],
    ['2026-11-20T23:59:60Z', undefined],
    ['2026-13-20T10:00:00Z', undefined],
    ['2026-00-20T10:00:00Z', undefined],
    ['2026-11-31T10:00:00Z', undefined],
    ['2026-11-00T10:00:00Z', undefined],
    ['2023-02-29T10:00:00Z', undefined],
    ['2026-11-20T10:00:0aZ', undefined],
    ['2026-11-20X10:00:00Z', undefined],
    ['-026-11-20T10:00:00Z', undefined],
    ['2026-11-20T-1:00:00Z', undefined],
    ['２０２６-11-20T10:00:00Z', undefined],
    ['2026-11-20T10:00:00Y', undefined],
    [' 2026-11-20T10:00:00Z', undefined],
    ['2026-11-20T10:00:00Z ', undefined],
    ['+2026-11-20T10:00:00Z', undefined],
    ['2026-11-20', undefined],
    ['2026-11-20T10:00Z', undefined],
    ['2026-11-20T10:00:00.Z', undefined],
    ['now', undefined],
    ['1h', undefined],
  ];

  it.each(table)('%j -> %s', (value, epochMs) => {
    expect(parseEventTime(value)).toBe(epochMs);
  });

  it('round-trips every second of years 0000-9999 through the fast path and the fallback', () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }), (t) => {
        const iso = new Date(t).toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
        const seconds = Math.floor(t / 1000) * 1000;
        expect(parseEventTime(`${iso.slice(0, 19)}Z`)).toBe(seconds);
        expect(parseEventTime(`${iso.slice(0, 10)} ${iso.slice(11, 19)}`)).toBe(seconds);
        expect(parseEventTime(iso)).toBe(t);
      }),
    );
  });

  it('never throws and returns an integer or undefined for arbitrary strings', () => {
    const unit = fc.constantFrom(...'0123456789-:TZ .'.split(''));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit, minLength: 18, maxLength: 22 })), (s) => {
        const t = parseEventTime(s);
        if (t !== undefined) expect(Number.isInteger(t)).toBe(true);
      }),
    );
  });
});

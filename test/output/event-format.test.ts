import { Chalk } from 'chalk';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  boundedJson, DEFAULT_COLUMNS, fieldColumns, fitColumns, PRETTY_OVERHEAD, prettyHeader, prettyLine, projectRecord, textHeader, textLine,
} from '../../src/output/event-format.js';
import { TABLE_OVERHEAD, tableBottom, tableRow, tableTop } from '../../src/output/event-table.js';
import { safeJson, safeLines } from '../../src/output/terminal-safe.js';

const plain = new Chalk({ level: 0 });
const chars = (s: string) => Array.from(s).length;

const RECORD = {
  eventTime: '2026-11-20T10:05:00Z',
  recipientAccountId: '111111111111',
  awsRegion: 'ap-southeast-1',
  userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::111111111111:assumed-role/OrganizationAccountAccessRole/some-long-session-name@example.com' },
  eventSource: 'elasticloadbalancing.amazonaws.com',
  eventName: 'DescribeLoadBalancerAttributesAndMore',
  errorCode: 'Client.UnauthorizedOperation',
  sourceIPAddress: '2001:db8:85a3:1234:5678:8a2e:370:7334',
  userAgent: 'a\tb\nc',
};

describe('pretty columns fitted to the terminal', () => {
  it.each([40, 60, 80, 100, 120, 160, 200, 240])('no line is wider than %i columns, header included', (width) => {
    const layout = fitColumns(DEFAULT_COLUMNS, width, PRETTY_OVERHEAD);
    expect(chars(prettyLine(RECORD, layout, plain))).toBeLessThanOrEqual(width);
    expect(chars(prettyHeader(layout, plain))).toBeLessThanOrEqual(width);
    const table = fitColumns(DEFAULT_COLUMNS, width, TABLE_OVERHEAD);
    for (const line of [...tableTop(table, plain).split('\n'), tableRow(RECORD, table, plain), tableBottom(table)]) expect(chars(line)).toBeLessThanOrEqual(width);
  });

  it('keeps time, event, principal and error at 80 columns and adds the others by priority as it widens', () => {
    const headers = (width: number) => fitColumns(DEFAULT_COLUMNS, width, PRETTY_OVERHEAD).columns.map((c) => c.header);
    expect(headers(80)).toEqual(['TIME', 'PRINCIPAL', 'EVENT', 'ERROR']);
    expect(headers(120)).toEqual(['TIME', 'ACCOUNT', 'REGION', 'PRINCIPAL', 'EVENT', 'ERROR', 'SOURCE IP']);
    expect(headers(200)).toEqual(DEFAULT_COLUMNS.map((c) => c.header));
    // Wide enough for every column at its preferred width: nothing is cut.
    const wide = fitColumns(DEFAULT_COLUMNS, 400, PRETTY_OVERHEAD);
    expect(wide.widths).toEqual(DEFAULT_COLUMNS.map((c) => c.width));
  });

  it('cuts a role session at its start, keeping the session name, and other values at their end', () => {
    const line = prettyLine(RECORD, fitColumns(DEFAULT_COLUMNS, 80, PRETTY_OVERHEAD), plain);
    expect(line).toMatch(/…[^ ]*example\.com /);
    expect(line).toMatch(/DescribeLoadBalancer[^ ]*… /);
  });

  it('prints full values when not on a terminal (no width)', () => {
    const layout = fitColumns(DEFAULT_COLUMNS, undefined, PRETTY_OVERHEAD, { full: true });
    const line = prettyLine(RECORD, layout, plain);
    expect(line).toContain('OrganizationAccountAccessRole/some-long-session-name@example.com');
    expect(line).toContain('DescribeLoadBalancerAttributesAndMore');
    expect(line).toContain('2001:db8:85a3:1234:5678:8a2e:370:7334');
  });

  it('labels --fields columns with the field paths', () => {
    const layout = fitColumns(fieldColumns(['eventTime', 'userIdentity.arn']), 80, PRETTY_OVERHEAD);
    expect(prettyHeader(layout, plain)).toMatch(/^eventTime\s+userIdentity\.arn$/);
  });
});

describe('text output (tab-separated)', () => {
  it('one value per column, tabs and newlines inside values escaped, - for a missing one', () => {
    const columns = fieldColumns(['eventName', 'userAgent', 'errorMessage', 'requestParameters']);
    expect(textHeader(columns)).toBe('eventName\tuserAgent\terrorMessage\trequestParameters');
    const line = textLine({ ...RECORD, requestParameters: { a: 1 } }, columns);
    expect(line).toBe('DescribeLoadBalancerAttributesAndMore\ta\\x09b\\x0ac\t-\t{"a":1}');
    expect(line.split('\t')).toHaveLength(4);
  });
});

describe('--fields with json: one projected object per event', () => {
  it('nests the fields as in the record, in the order given, null when missing', () => {
    const record = { eventTime: 't', userIdentity: { arn: 'a', type: 'IAMUser' }, resources: [{ ARN: 'r0' }, { ARN: 'r1' }], other: 1 };
    const projected = projectRecord(record, ['userIdentity.arn', 'eventTime', 'resources.1.ARN', 'missing.deep']);
    expect(JSON.stringify(projected)).toBe('{"userIdentity":{"arn":"a"},"eventTime":"t","resources":[null,{"ARN":"r1"}],"missing":{"deep":null}}');
  });

  it('a field path cannot reach the prototype', () => {
    const projected = projectRecord({ a: 1 }, ['__proto__.polluted', 'constructor.prototype.x']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(JSON.stringify(projected)).toBe('{"__proto__":{"polluted":null},"constructor":{"prototype":{"x":null}}}');
  });
});

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

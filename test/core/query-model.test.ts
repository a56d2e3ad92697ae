import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { TrinoSQL } from 'dt-sql-parser';
import { describe, expect, it } from 'vitest';
import { compileFilterSql, ipv4Range, questionSql, type Question, type SqlTarget } from '../../src/core/query-model.js';
import type { FilterSpec } from '../../src/core/record-filter.js';

const GOLDEN = new URL('../fixtures/athena/golden/', import.meta.url);
const DAY = Date.UTC(2026, 10, 20);
const SCOPE = { since: DAY, until: DAY + 86_399_000, accounts: ['111111111111'], regions: ['us-east-1'] };

const TARGETS: Record<string, SqlTarget> = {
  single: { dialect: 'trino', table: 'cloudtrail', from: '"default"."cloudtrail_logs_pp"', partitions: { kind: 'day', day: 'timestamp' } },
  organization: { dialect: 'trino', table: 'cloudtrail', from: '"cloudtrail_org_logs"', partitions: { kind: 'organization', account: 'account', region: 'region', day: 'timestamp' } },
  parquet: { dialect: 'trino', table: 'index', from: '"trailkit_index"', partitions: { kind: 'index' } },
};

const QUESTIONS: Record<string, Question> = {
  'access-key': { kind: 'access-key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE' },
  timeline: { kind: 'timeline', principal: 'arn:aws:iam::111111111111:user/alice' },
  resource: { kind: 'resource', arn: 'arn:aws:s3:::my-bucket' },
  summary: { kind: 'summary', top: 10, baselineMs: 30 * 86_400_000 },
};

const FILTERS: Record<string, FilterSpec> = {
  'event-name': { eventNames: ['Delete*', 'Put?ucketPolicy'], since: DAY, until: DAY + 3_600_000 },
  'every-exact-filter': { eventSources: ['iam', 's3.amazonaws.com'], users: ['alice'], accounts: ['111111111111'], regions: ['us-east-1'], sourceIps: ['203.0.113.0/24'], errorCodes: ['AccessDenied*'], errorsOnly: true, writeOnly: true, eventIds: ['e1'] },
  'cis-4.1': { presets: ['cis-4.1'] },
  patterns: { patterns: ['{ $.userIdentity.sessionContext.sessionIssuer.userName = "Admin*" && $.requestParameters.bucketName != "logs" }'] },
};

/** The golden file for a name: compared with, or written when UPDATE_GOLDEN=1. */
function golden(name: string, text: string): void {
  const url = new URL(`${name}.sql`, GOLDEN);
  if (process.env['UPDATE_GOLDEN'] === '1' || !existsSync(url)) {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(url, text);
  }
  expect(text).toBe(readFileSync(url, 'utf8'));
}

const trino = new TrinoSQL();

function parses(sql: string): void {
  const errors = trino.validate(sql);
  expect(errors, sql).toEqual([]);
}

describe('the query model in Trino SQL', () => {
  for (const [layout, target] of Object.entries(TARGETS)) {
    for (const [name, question] of Object.entries(QUESTIONS)) {
      it(`${name} on the ${layout} table: golden text that Trino's grammar parses`, () => {
        const queries = questionSql(question, SCOPE, target);
        golden(`${layout}-${name}`, queries.map((q) => `-- ${q.name}\n${q.sql};\n`).join('\n'));
        for (const q of queries) parses(q.sql);
      });
    }
    for (const [name, spec] of Object.entries(FILTERS)) {
      it(`grep filters ${name} on the ${layout} table`, () => {
        const where = compileFilterSql(spec, target);
        const sql = `SELECT eventtime FROM ${target.from} WHERE ${where.sql}`;
        golden(`${layout}-filter-${name}`, `${sql};\n-- inexact: ${where.inexact.join(', ') || 'none'}\n-- unsupported: ${where.unsupported.join('; ') || 'none'}\n`);
        parses(sql);
      });
    }
  }

  it('prunes partitions with a day of margin and filters the exact event time', () => {
    const where = compileFilterSql({ since: DAY + 3_600_000, until: DAY + 7_200_000 }, TARGETS['single'] as SqlTarget).sql;
    expect(where).toContain(`"timestamp" >= '2026/11/19'`);
    expect(where).toContain(`"timestamp" <= '2026/11/21'`);
    expect(where).toContain(`eventtime >= '2026-11-20T01:00:00Z'`);
    expect(where).toContain(`eventtime <= '2026-11-20T02:00:00Z'`);
    // Milliseconds: an event at 01:00:00 is before a since of 01:00:00.500; one at 02:00:00 is not after an until of 02:00:00.999.
    const ms = compileFilterSql({ since: DAY + 3_600_500, until: DAY + 7_200_999 }, TARGETS['single'] as SqlTarget).sql;
    expect(ms).toContain(`eventtime >= '2026-11-20T01:00:01Z'`);
    expect(ms).toContain(`eventtime <= '2026-11-20T02:00:00Z'`);
  });

  it('refuses on the log-file table what needs the record text, and says why', () => {
    const terms = compileFilterSql({ patterns: ['AccessDenied'] }, TARGETS['single'] as SqlTarget);
    expect(terms.unsupported.join()).toMatch(/plain-text pattern/);
    const newer = compileFilterSql({ patterns: ['{ $.eventContext.x = "y" }'] }, TARGETS['single'] as SqlTarget);
    expect(newer.unsupported.join()).toMatch(/no column for \$\.eventContext\.x/);
    const regex = compileFilterSql({ patterns: ['{ $.eventName = %Delete.*% }'] }, TARGETS['parquet'] as SqlTarget);
    expect(regex.inexact).toEqual(['--pattern']);
    expect(regex.unsupported).toEqual([]);
  });

  it('quotes every value: a hostile filter stays a string literal', () => {
    const hostile = "x' OR '1'='1";
    const where = compileFilterSql({ eventNames: [hostile], users: [hostile], eventIds: [hostile] }, TARGETS['parquet'] as SqlTarget).sql;
    expect(where).toContain("eventname LIKE 'x'' OR ''1''=''1' ESCAPE '\\'");
    expect(where).not.toMatch(/[^']'1'='1/);
    parses(`SELECT 1 FROM t WHERE ${where}`);
    const q = questionSql({ kind: 'resource', arn: "arn:aws:s3:::b'; DROP TABLE t; --" }, {}, TARGETS['single'] as SqlTarget)[0]?.sql as string;
    expect(q).toContain("'arn:aws:s3:::b''; DROP TABLE t; --'");
    parses(q);
    expect(() => compileFilterSql({ eventNames: ['a\u0000b'] }, TARGETS['parquet'] as SqlTarget)).toThrow(/NUL/);
  });

  it('turns an IPv4 CIDR into the range of its addresses', () => {
    expect(ipv4Range('203.0.113.0/24')).toEqual([3405803776, 3405804031]);
    expect(ipv4Range('10.1.2.3')).toEqual([167838211, 167838211]);
    expect(ipv4Range('0.0.0.0/0')).toEqual([0, 2 ** 32 - 1]);
    expect(ipv4Range('2001:db8::/32')).toBeUndefined();
    expect(ipv4Range('300.1.1.1')).toBeUndefined();
  });
});

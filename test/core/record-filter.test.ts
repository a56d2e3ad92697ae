import { describe, expect, it } from 'vitest';
import { compileFilter, compileGlob, expandEventSource, type FilterSpec } from '../../src/core/record-filter.js';
import { TrailkitError } from '../../src/core/errors.js';
import { needleHolds } from '../../src/core/needle.js';
import { deliveryAccountOf } from '../../src/core/record.js';

const base = {
  eventVersion: '1.09',
  userIdentity: {
    type: 'AssumedRole',
    principalId: 'AROAEXAMPLE:alice-session',
    arn: 'arn:aws:sts::111111111111:assumed-role/Admin/alice-session',
    accountId: '111111111111',
    sessionContext: { sessionIssuer: { type: 'Role', userName: 'Admin', arn: 'arn:aws:iam::111111111111:role/Admin' } },
  },
  eventTime: '2026-11-20T10:00:00Z',
  eventSource: 'ec2.amazonaws.com',
  eventName: 'DeleteVolume',
  awsRegion: 'eu-west-1',
  sourceIPAddress: '2001:db8::42',
  errorCode: 'Client.UnauthorizedOperation',
  readOnly: false,
  eventID: 'id-1',
  recipientAccountId: '222222222222',
};

function matches(spec: FilterSpec, record: Record<string, unknown> = base): boolean {
  const filter = compileFilter(spec);
  const raw = JSON.stringify(record);
  const result = filter.test(record, raw);
  // A needle is a necessary condition: whenever the filter matches, its needle holds.
  if (result) expect(needleHolds(filter.needle, raw)).toBe(true);
  return result;
}

describe('compileFilter', () => {
  const t = Date.parse('2026-11-20T10:00:00Z');
  const cases: [string, FilterSpec, boolean][] = [
    ['no conditions', {}, true],
    ['event name glob', { eventNames: ['Delete*'] }, true],
    ['event name glob ?', { eventNames: ['Delete?olume'] }, true],
    ['event name is case-sensitive', { eventNames: ['delete*'] }, false],
    ['event name OR', { eventNames: ['RunInstances', 'DeleteVolume'] }, true],
    ['event name exact miss', { eventNames: ['DeleteVolumes'] }, false],
    ['event source short', { eventSources: ['ec2'] }, true],
    ['event source full', { eventSources: ['ec2.amazonaws.com'] }, true],
    ['event source miss', { eventSources: ['iam'] }, false],
    ['user in arn, any case', { users: ['ALICE-SESSION'] }, true],
    ['user in session issuer', { users: ['admin'] }, true],
    ['user miss', { users: ['bob'] }, false],
    ['account is the recipient', { accounts: ['222222222222'] }, true],
    ['account is not the caller', { accounts: ['111111111111'] }, false],
    ['region', { regions: ['eu-west-1'] }, true],
    ['region miss', { regions: ['us-east-1'] }, false],
    ['source ip v6 cidr', { sourceIps: ['2001:db8::/32'] }, true],
    ['source ip v4 miss', { sourceIps: ['10.0.0.0/8'] }, false],
    ['error code glob', { errorCodes: ['*UnauthorizedOperation'] }, true],
    ['error code miss', { errorCodes: ['AccessDenied*'] }, false],
    ['errors only', { errorsOnly: true }, true],
    ['write only', { writeOnly: true }, true],
    ['read only', { readOnly: true }, false],
    ['since inclusive', { since: t }, true],
    ['until inclusive', { until: t }, true],
    ['since after', { since: t + 1 }, false],
    ['until before', { until: t - 1 }, false],
    ['event id', { eventIds: ['id-1'] }, true],
    ['event id miss', { eventIds: ['id-2'] }, false],
    ['pattern', { patterns: ['{ $.userIdentity.sessionContext.sessionIssuer.userName = "Admin" }'] }, true],
    ['pattern OR', { patterns: ['{ $.eventName = "X" }', '{ $.awsRegion = "eu-*" }'] }, true],
    ['preset cis-4.1', { presets: ['cis-4.1'] }, true],
    ['preset by alias, miss', { presets: ['root-usage'] }, false],
    ['AND of fields', { eventNames: ['Delete*'], regions: ['eu-west-1'], errorsOnly: true, writeOnly: true }, true],
    ['AND with one miss', { eventNames: ['Delete*'], regions: ['us-east-1'] }, false],
  ];
  it.each(cases)('%s', (_name, spec, expected) => {
    expect(matches(spec)).toBe(expected);
  });

  it('treats missing and null fields as not matching, never as an error', () => {
    const bare = { eventName: 'X' };
    for (const spec of [{ errorsOnly: true }, { readOnly: true }, { writeOnly: true }, { since: 0 }, { users: ['a'] }, { sourceIps: ['0.0.0.0/0'] }, { accounts: ['111111111111'] }]) {
      expect(matches(spec, bare)).toBe(false);
      expect(matches(spec, { ...bare, userIdentity: null, eventTime: null, readOnly: null, sourceIPAddress: null, errorCode: null })).toBe(false);
    }
  });

  it('reads --account as recipientAccountId, never the caller\'s account, and falls back to the delivery file\'s account', () => {
    const old = { ...base, eventVersion: '1.01' } as Record<string, unknown>;
    delete old['recipientAccountId'];
    const raw = JSON.stringify(old);
    const filter = compileFilter({ accounts: ['333333333333'] });
    // A cross-account call: userIdentity.accountId is the caller's account, not the one the event was recorded in.
    expect(matches({ accounts: ['111111111111'] }, old)).toBe(false);
    expect(filter.test(old, raw)).toBe(false);
    expect(filter.test(old, raw, { deliveryAccount: '333333333333' })).toBe(true);
    expect(filter.test(old, raw, { deliveryAccount: '444444444444' })).toBe(false);
    // The file's account never overrides what the event says.
    expect(filter.test(base, JSON.stringify(base), { deliveryAccount: '333333333333' })).toBe(false);
    // The needle for that file does not require the account id in the record's text.
    expect(needleHolds(filter.needleFor({ deliveryAccount: '333333333333' }), raw)).toBe(true);
    expect(needleHolds(filter.needleFor(undefined), raw)).toBe(false);
  });

  it('accepts readOnly written as a string, as some exports do', () => {
    expect(matches({ readOnly: true }, { ...base, readOnly: 'true' })).toBe(true);
  });

  it('matches a service name source IP to no CIDR', () => {
    expect(matches({ sourceIps: ['0.0.0.0/0'] }, { ...base, sourceIPAddress: 'lambda.amazonaws.com' })).toBe(false);
  });

  it('rejects a bad pattern, preset or CIDR with a usage error naming the flag', () => {
    expect(() => compileFilter({ patterns: ['{ $.a = '] })).toThrowError(TrailkitError);
    expect(() => compileFilter({ patterns: ['{ $.a = '] })).toThrowError(/^--pattern: .*column/);
    expect(() => compileFilter({ presets: ['cis-9.9'] })).toThrowError(/--preset 'cis-9.9' is not a known preset/);
    expect(() => compileFilter({ sourceIps: ['1.2.3.4/40'] })).toThrowError(/^--source-ip '1.2.3.4\/40'/);
  });

  it('builds needles from the literal parts of the filters', () => {
    expect(compileFilter({ eventNames: ['Delete*'] }).needle).toEqual({ kind: 'text', text: 'Delete' });
    expect(compileFilter({ eventSources: ['ec2'], eventNames: ['Run*', '*Volume'] }).needle).toEqual({
      kind: 'all',
      of: [{ kind: 'any', of: [{ kind: 'text', text: 'Run' }, { kind: 'text', text: 'Volume' }] }, { kind: 'text', text: 'ec2.amazonaws.com' }],
    });
    // Too short to be worth a search, or not literal at all: no needle.
    expect(compileFilter({ eventNames: ['*'] }).needle).toEqual({ kind: 'any-record' });
    expect(compileFilter({ since: 0 }).needle).toEqual({ kind: 'any-record' });
  });
});

describe('helpers', () => {
  it('expands short event sources', () => {
    expect(expandEventSource('iam')).toBe('iam.amazonaws.com');
    expect(expandEventSource('s3.amazonaws.com')).toBe('s3.amazonaws.com');
  });

  it('matches globs literally apart from * and ?', () => {
    expect(compileGlob('a.b*')('a.bcd')).toBe(true);
    expect(compileGlob('a.b*')('axbcd')).toBe(false);
    expect(compileGlob('(x)+[y]')('(x)+[y]')).toBe(true);
    expect(compileGlob('a?c')('abc')).toBe(true);
    expect(compileGlob('a?c')('ac')).toBe(false);
    expect(compileGlob('*')('')).toBe(true);
  });
});

describe('deliveryAccountOf', () => {
  it.each([
    ['AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/20/111111111111_CloudTrail_us-east-1_20261120T1005Z_AbCdEfGhIjKlMnOp.json.gz', '111111111111'],
    ['s3://b/p/AWSLogs/o-a1b2c3d4e5/222222222222/CloudTrail-Insight/us-east-1/2026/11/20/x.json.gz', '222222222222'],
    ['/tmp/copies/333333333333_CloudTrail_eu-west-1_20261120T1005Z_x.json', '333333333333'],
    ['C:\\logs\\444444444444_CloudTrail_eu-west-1_20261120T1005Z_x.json', '444444444444'],
    ['/tmp/export.ndjson', undefined],
    ['(standard input)', undefined],
    ['AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2026/11/20/x.json.gz', undefined],
  ])('%s -> %s', (path, account) => {
    expect(deliveryAccountOf(path)).toBe(account);
  });
});

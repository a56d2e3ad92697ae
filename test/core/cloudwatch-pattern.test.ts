import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { serverPatternFor } from '../../src/core/cloudwatch-pattern.js';
import { parseFilterPattern, matchesPattern } from '../../src/core/filter-pattern.js';
import { compileFilter, type FilterSpec } from '../../src/core/record-filter.js';

describe('FilterLogEvents patterns from grep filters', () => {
  it.each<[FilterSpec, string | undefined, string[]]>([
    [{}, undefined, []],
    [{ eventNames: ['ConsoleLogin'] }, '{ $.eventName = "ConsoleLogin" }', []],
    [{ eventNames: ['Delete*', 'Put*'], errorsOnly: true }, '{ ($.eventName = "Delete*" || $.eventName = "Put*") && $.errorCode = "*" }', []],
    [{ eventSources: ['ec2'], writeOnly: true }, '{ $.eventSource = "ec2.amazonaws.com" && $.readOnly IS FALSE }', []],
    // --account is recipientAccountId only: the caller's account is not the account an event was recorded in.
    [{ accounts: ['111111111111'] }, '{ $.recipientAccountId = "111111111111" }', []],
    [{ accounts: ['111111111111', '222222222222'] }, '{ ($.recipientAccountId = "111111111111" || $.recipientAccountId = "222222222222") }', []],
    [{ eventNames: ['Get?bject'], regions: ['eu-west-1'] }, '{ $.awsRegion = "eu-west-1" }', ['--event-name']],
    [{ users: ['alice'], sourceIps: ['203.0.113.0/24'] }, undefined, ['--user', '--source-ip']],
    [{ patterns: ['{ $.errorCode = "AccessDenied*" }'], readOnly: true }, '{ $.readOnly IS TRUE && ($.errorCode = "AccessDenied*") }', []],
    [{ patterns: ['AccessDenied'] }, undefined, ['--pattern']],
    [{ eventNames: ['Say"hi"'] }, undefined, ['--event-name']],
    // Selectors with `*`: AWS does not document how `!=` and NOT EXISTS treat several values, so the local filter alone decides.
    [{ patterns: ['{ $.resources[*].type = "AWS::S3::Object" }'] }, undefined, ['--pattern']],
    [{ patterns: ['{ $.* = "x" }'], eventNames: ['GetObject'] }, '{ $.eventName = "GetObject" }', ['--pattern']],
    [{ patterns: ["{ $.['cluster.name'] = prod }"] }, "{ ($.['cluster.name'] = prod) }", []],
  ])('%j -> %s', (spec, pattern, localOnly) => {
    const server = serverPatternFor(spec);
    expect(server.pattern).toBe(pattern);
    expect(server.localOnly).toEqual(localOnly);
    if (pattern !== undefined) expect(() => parseFilterPattern(pattern)).not.toThrow();
  });

  it('keeps a preset\'s precedence when it is combined with other filters', () => {
    const server = serverPatternFor({ presets: ['cis-4.1'], accounts: ['111111111111'] });
    expect(server.pattern).toMatch(/^\{ \$\.recipientAccountId = "111111111111" && \(\(\$\.errorCode = "\*UnauthorizedOperation"\) \|\| .*\) \}$/);
    expect(server.pattern?.length).toBeLessThanOrEqual(1024);
  });

  it('stays within 1024 characters by leaving conditions to the local filter', () => {
    const server = serverPatternFor({ eventNames: Array.from({ length: 80 }, (_, i) => `SomeLongEventName${i}`) });
    expect(server.pattern).toBeUndefined();
    expect(server.localOnly.length).toBeGreaterThan(0);
  });

  it('selects a superset of what the local filter keeps (property)', () => {
    const names = ['ConsoleLogin', 'DeleteBucket', 'PutObject', 'GetObject'];
    const record = fc.record({
      eventName: fc.constantFrom(...names),
      eventSource: fc.constantFrom('s3.amazonaws.com', 'ec2.amazonaws.com', 'signin.amazonaws.com'),
      awsRegion: fc.constantFrom('us-east-1', 'eu-west-1'),
      recipientAccountId: fc.constantFrom('111111111111', '222222222222'),
      readOnly: fc.boolean(),
      errorCode: fc.option(fc.constantFrom('AccessDenied', 'ThrottlingException'), { nil: undefined }),
    });
    const spec = fc.record({
      eventNames: fc.subarray(['Delete*', '*Object', 'ConsoleLogin', 'Get?bject']),
      regions: fc.subarray(['us-east-1', 'eu-west-1']),
      accounts: fc.subarray(['111111111111']),
      errorsOnly: fc.boolean(),
      readOnly: fc.boolean(),
    });
    fc.assert(fc.property(spec, fc.array(record, { maxLength: 20 }), (s, records) => {
      const local = compileFilter(s);
      const server = serverPatternFor(s);
      if (server.pattern === undefined) return;
      const parsed = parseFilterPattern(server.pattern);
      for (const r of records) {
        const clean = JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
        const raw = JSON.stringify(clean);
        if (local.test(clean, raw)) expect(matchesPattern(parsed, clean, raw)).toBe(true);
      }
    }));
  });
});

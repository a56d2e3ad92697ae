import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/core/verify-checks.js';
import { summarize } from '../../src/core/verify-checks.js';
import { renderJUnit, xmlText } from '../../src/output/junit.js';
import { junitErrors } from '../helpers/junit-schema.js';

const results: CheckResult[] = [
  { id: 'trail-exists', status: 'pass', message: 'trail arn', evidence: { arn: 'x' } },
  { id: 'logging', status: 'fail', message: 'the trail is not logging <&>', evidence: { isLogging: false }, remediation: 'start it' },
  { id: 's3-data-events', status: 'warn', message: 'no object-level logging', evidence: {}, remediation: 'fix "it"' },
  { id: 'integrity', status: 'skip', message: 'validation is off', evidence: {} },
  { id: 'bucket-policy', status: 'fail', message: 'hostile \u001b[31m\u0000 \ud800 text', evidence: { s: '\u0007' } },
];

describe('renderJUnit', () => {
  it('produces a report valid against the JUnit schema, one testcase per check', async () => {
    const xml = renderJUnit({ trail: 'arn:aws:cloudtrail:us-east-1:111111111111:trail/main', results, summary: summarize(results, false), strict: false, timestamp: new Date('2026-11-20T10:00:00.123Z'), seconds: 1.5 });
    expect(await junitErrors(xml)).toEqual([]);
    expect(xml.match(/<testcase /g)).toHaveLength(5);
    expect(xml.match(/<failure /g)).toHaveLength(2);
    expect(xml.match(/<skipped /g)).toHaveLength(1);
    expect(xml).toContain('tests="5" failures="2" errors="0" skipped="1"');
    expect(xml).toContain('timestamp="2026-11-20T10:00:00"');
    expect(xml).toContain('the trail is not logging &lt;&amp;&gt;');
    // The same escapes as the terminal output: C0 as \xHH, a lone surrogate as \uHHHH.
    expect(xml).toContain('\\x1b[31m\\x00 \\ud800 text');
  });

  it('turns warnings into failures with --strict', async () => {
    const xml = renderJUnit({ trail: 't', results, summary: summarize(results, true), strict: true, timestamp: new Date(0), seconds: 0 });
    expect(await junitErrors(xml)).toEqual([]);
    expect(xml.match(/<failure /g)).toHaveLength(3);
    expect(xml).toContain('type="warn"');
  });

  it('is checked by a schema that rejects a broken report', async () => {
    expect(await junitErrors('<testsuites><testsuite name="x"/></testsuites>')).not.toEqual([]);
    expect(await junitErrors('<testsuites><testsuite name="x" tests="1" failures="0" errors="0"><testcase name="a"/></testsuite></testsuites>')).not.toEqual([]);
  });

  it('escapes XML metacharacters and removes what XML cannot hold', () => {
    expect(xmlText(`a<b>&"c'\u0001`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;\\x01');
  });

  it('carries no raw C1 control, bidi override or invisible character from hostile input', async () => {
    // A policy statement id crafted to drive a terminal (CSI as the one-byte C1 U+009B) or reorder text.
    const sid = 'Allow\u009b31mEvil\u202egnp.exe\u200b\u2066x\u2069\ufffe';
    const hostile: CheckResult[] = [{ id: 'bucket-policy', status: 'fail', message: `statement ${sid} grants s3:GetObject to *`, evidence: { sid }, remediation: `remove ${sid}` }];
    const xml = renderJUnit({ trail: `t${sid}`, results: hostile, summary: summarize(hostile, false), strict: false, timestamp: new Date(0), seconds: 0 });
    expect(await junitErrors(xml)).toEqual([]);
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufffe\uffff]/);
    expect(xml).toContain('Allow\\u009b31mEvil\\u202egnp.exe\\u200b\\u2066x\\u2069\\ufffe');
  });
});

import { describe, expect, it } from 'vitest';
import { CIS_METRIC_FILTER_VARIANTS } from '../../src/core/cis-metric-filter-variants.js';
import { CIS_PRESETS } from '../../src/core/cis-presets.js';
import { formDifference, normalizePattern, samePatternMeaning } from '../../src/core/filter-pattern-equivalence.js';

describe('samePatternMeaning', () => {
  const same: [string, string, string][] = [
    ['quoting', '{ $.userIdentity.type = "Root" && $.eventType != "AwsServiceEvent" }', '{ $.userIdentity.type = Root && $.eventType != AwsServiceEvent }'],
    ['spacing and newlines', '{($.eventName=CreateTrail)||($.eventName=DeleteTrail)}', '{ ($.eventName = CreateTrail) ||\n   ($.eventName = DeleteTrail) }'],
    ['order of || operands', '{ ($.eventName = A) || ($.eventName = B) || ($.eventName = C) }', '{ ($.eventName = C) || ($.eventName = A) || ($.eventName = B) }'],
    ['order of && operands', '{ ($.eventName = ConsoleLogin) && ($.additionalEventData.MFAUsed != "Yes") }', '{ ($.additionalEventData.MFAUsed != "Yes") && ($.eventName = ConsoleLogin) }'],
    ['redundant parentheses', '{ (($.a = 1)) && (($.b = x)) }', '{ $.a = 1 && $.b = x }'],
    ['nested groups flattened', '{ ($.a = x || $.b = y) || $.c = z }', '{ $.a = x || ($.b = y || $.c = z) }'],
    ['distribution of && over ||', '{ $.s = kms.amazonaws.com && ($.n = DisableKey || $.n = ScheduleKeyDeletion) }', '{ ($.s = kms.amazonaws.com && $.n = DisableKey) || ($.s = kms.amazonaws.com && $.n = ScheduleKeyDeletion) }'],
    ['a duplicated operand', '{ $.a = x || $.a = x }', '{ $.a = x }'],
    ['absorption', '{ $.a = x || ($.a = x && $.b = y) }', '{ $.a = x }'],
    ['wildcards quoted or not', '{ $.errorCode = "AccessDenied*" }', '{ $.errorCode = AccessDenied* }'],
    ['plain terms in any order', 'ERROR "bad request" -DEBUG', '-DEBUG "bad request" ERROR'],
  ];
  it.each(same)('means the same across %s', (_why, a, b) => {
    expect(samePatternMeaning(a, b)).toBe(true);
    expect(samePatternMeaning(b, a)).toBe(true);
  });

  const different: [string, string, string][] = [
    ['a missing event name', '{ ($.eventName = A) || ($.eventName = B) }', '{ ($.eventName = A) }'],
    ['|| for &&', '{ ($.eventName = ConsoleLogin) && ($.additionalEventData.MFAUsed != Yes) }', '{ ($.eventName = ConsoleLogin) || ($.additionalEventData.MFAUsed != Yes) }'],
    ['!= for =', '{ $.additionalEventData.MFAUsed != "Yes" }', '{ $.additionalEventData.MFAUsed = "Yes" }'],
    ['an extra condition that narrows', '{ $.eventName = CreateTrail }', '{ $.eventName = CreateTrail && $.awsRegion = us-east-1 }'],
    ['another field', '{ $.eventName = CreateTrail }', '{ $.eventSource = CreateTrail }'],
    ['a wildcard dropped', '{ $.errorCode = "AccessDenied*" }', '{ $.errorCode = "AccessDenied" }'],
    ['a prefix for a suffix wildcard', '{ $.errorCode = "*UnauthorizedOperation" }', '{ $.errorCode = "UnauthorizedOperation*" }'],
    ['case of a value', '{ $.userIdentity.type = Root }', '{ $.userIdentity.type = root }'],
    ['a number for a quoted string', '{ $.code = 1 }', '{ $.code = "1" }'],
    ['precedence: (A && B) || C against A && (B || C)', '{ $.s = ec2 && $.n = CreateRoute || $.n = DeleteRoute }', '{ $.s = ec2 && ($.n = CreateRoute || $.n = DeleteRoute) }'],
    ['NOT EXISTS against IS NULL', '{ $.userIdentity.invokedBy NOT EXISTS }', '{ $.userIdentity.invokedBy IS NULL }'],
    ['a pattern that does not parse', '{ $.eventName = CreateTrail }', '{ $.eventName = CreateTrail'],
  ];
  it.each(different)('tells apart %s', (_why, a, b) => {
    expect(samePatternMeaning(a, b)).toBe(false);
  });

  it('names the terms one pattern lacks or adds', () => {
    const reference = normalizePattern('{ ($.eventName = A) || ($.eventName = B) || ($.eventName = C) }');
    const other = normalizePattern('{ ($.eventName = A) || ($.eventName = "D*") }');
    if (!reference.ok || !other.ok) throw new Error('parse');
    expect(formDifference(reference.form, other.form)).toEqual({ missing: ['$.eventName = "B"', '$.eventName = "C"'], extra: ['$.eventName = "D*"'], shared: 1 });
  });

  it('compares very large patterns by structure instead of expanding them', () => {
    const clause = (i: number) => `($.a${i} = x || $.b${i} = y)`;
    const big = `{ ${Array.from({ length: 14 }, (_, i) => clause(i)).join(' && ')} }`;
    const reordered = `{ ${Array.from({ length: 14 }, (_, i) => clause(13 - i)).join(' && ')} }`;
    const started = Date.now();
    expect(samePatternMeaning(big, reordered)).toBe(true);
    expect(samePatternMeaning(big, big.replace('$.a0 = x', '$.a0 = z'))).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('the published CIS and Security Hub patterns', () => {
  it('has parseable variants for every preset, and the preset setup creates is one of them', () => {
    for (const preset of CIS_PRESETS) {
      const variants = CIS_METRIC_FILTER_VARIANTS[preset.id] ?? [];
      expect(variants.length, preset.id).toBeGreaterThan(0);
      for (const v of variants) expect(normalizePattern(v.pattern).ok, `${preset.id} ${v.source}`).toBe(true);
      expect(variants.some((v) => samePatternMeaning(v.pattern, preset.pattern)), preset.id).toBe(true);
    }
  });

  it('keeps variants of one control apart when their meaning differs', () => {
    for (const [id, variants] of Object.entries(CIS_METRIC_FILTER_VARIANTS)) {
      for (let i = 0; i < variants.length; i++) {
        for (let j = i + 1; j < variants.length; j++) {
          expect(samePatternMeaning((variants[i] as { pattern: string }).pattern, (variants[j] as { pattern: string }).pattern), `${id} ${i} ${j}`).toBe(false);
        }
      }
    }
  });

  it('accepts the texts as Security Hub prints them (no spaces, quoted values)', () => {
    const securityHub: [string, string][] = [
      ['cis-4.3', '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}'],
      ['cis-4.1', '{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}'],
      ['cis-4.6', '{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}'],
      ['cis-4.7', '{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}'],
      ['cis-4.13', '{($.eventName=CreateRoute) || ($.eventName=CreateRouteTable) || ($.eventName=ReplaceRoute) || ($.eventName=ReplaceRouteTableAssociation) || ($.eventName=DeleteRouteTable) || ($.eventName=DeleteRoute) || ($.eventName=DisassociateRouteTable)}'],
      ['cis-4.13', '{($.eventSource = ec2.amazonaws.com) && ($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable) }'],
    ];
    for (const [id, pattern] of securityHub) {
      expect((CIS_METRIC_FILTER_VARIANTS[id] ?? []).some((v) => samePatternMeaning(v.pattern, pattern)), pattern).toBe(true);
    }
  });
});

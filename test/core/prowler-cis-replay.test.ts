import { describe, expect, it } from 'vitest';
import { evaluateChecks, type CisControlResult, type TrailEvidence } from '../../src/core/verify-checks.js';
import { PROWLER_CIS_SCENARIOS, type ProwlerCisScenario } from '../fixtures/prowler-cis-scenarios.js';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:alerts';

/**
 * Replays prowler's metric-filter scenarios against verify's cis-metric-filters check. prowler
 * passes a control once an alarm exists on the filter's metric; the CIS audit also asks that the
 * alarm notify an SNS topic with a subscriber, so the replay gives each alarm such a topic, and
 * the cases without one are tested in verify-checks.test.ts.
 */
function controlOf(s: ProwlerCisScenario): CisControlResult | undefined {
  const evidence: TrailEvidence = {
    trailRef: 'test_trail', now: Date.parse('2026-11-20T12:00:00Z'), integrityHours: 24,
    trail: { ok: true, value: {
      name: 'test_trail', arn: 'arn:aws:cloudtrail:us-east-1:123456789012:trail/test_trail', homeRegion: 'us-east-1', s3BucketName: 'test',
      ...(s.setup === 'no-log-group' ? {} : { cloudWatchLogsLogGroupArn: 'arn:aws:logs:us-east-1:123456789012:log-group:/log-group/test:*' }),
    } },
    metricFilters: { ok: true, value: s.pattern === undefined ? [] : [{ name: 'test-filter', pattern: s.pattern, metricName: 'my-metric', metricNamespace: 'my-namespace' }] },
    alarms: { ok: true, value: s.setup === 'filter-and-alarm' ? [{ name: 'test-alarm', metricName: 'my-metric', namespace: 'my-namespace', actions: [TOPIC], actionsEnabled: true }] : [] },
    topicSubscriptions: { [TOPIC]: { ok: true, value: [{ arn: `${TOPIC}:0f3c`, protocol: 'email' }] } },
  };
  const check = evaluateChecks(evidence).find((c) => c.id === 'cis-metric-filters');
  return (check?.evidence['controls'] as CisControlResult[] | undefined)?.find((c) => c.id === s.control);
}

const verdict = (s: ProwlerCisScenario) => (controlOf(s)?.status === 'pass' ? 'PASS' : 'FAIL');

/**
 * Where trailkit and prowler part, on purpose:
 * - prowler's Organizations scenarios use a pattern no CIS version publishes: `source && A || B ||
 *   ...` (the `&&` binds to AcceptHandshake only) with three event names CIS does not list.
 *   Security Hub fails "if the exact metric filters prescribed by CIS are not used"; so does trailkit.
 * - prowler's reversed 4.13 scenario binds `$.eventSource = ec2.amazonaws.com &&` to
 *   DisassociateRouteTable instead of CreateRoute: another meaning than the CIS audit text (API
 *   Gateway also has CreateRoute and DeleteRoute events, so the source is not redundant).
 * - prowler's 4.6 scenarios write `$.errorMessage = Failed authentication` without quotes: a value
 *   with a space must be quoted, so the pattern does not parse.
 */
const DIVERGES: Record<string, string> = {
  'cis-4.15 filter-and-alarm': 'not a published pattern',
  'cis-4.6 filter-and-alarm unquoted': 'does not parse',
  'cis-4.13 reversed': 'eventSource bound to another event name',
};

function divergence(s: ProwlerCisScenario): string | undefined {
  if (s.setup !== 'filter-and-alarm' || s.prowler !== 'PASS') return undefined;
  if (s.control === 'cis-4.15') return DIVERGES['cis-4.15 filter-and-alarm'];
  if (s.control === 'cis-4.13' && s.test.endsWith('reversed_clauses')) return DIVERGES['cis-4.13 reversed'];
  if (s.control === 'cis-4.6' && s.pattern?.includes('= Failed authentication') === true) return DIVERGES['cis-4.6 filter-and-alarm unquoted'];
  return undefined;
}

describe("prowler's CIS metric-filter scenarios", () => {
  it.each(PROWLER_CIS_SCENARIOS.map((s) => [`${s.control} ${s.test}`, s] as const))('%s', (_name, s) => {
    const why = divergence(s);
    if (why === undefined) expect(verdict(s)).toBe(s.prowler);
    else expect(verdict(s), why).toBe('FAIL');
  });

  it('agrees on all but the documented divergences', () => {
    const agree = PROWLER_CIS_SCENARIOS.filter((s) => verdict(s) === s.prowler).length;
    const diverging = PROWLER_CIS_SCENARIOS.filter((s) => divergence(s) !== undefined).length;
    expect(PROWLER_CIS_SCENARIOS).toHaveLength(121);
    expect({ agree, diverging }).toEqual({ agree: 121 - diverging, diverging: 7 });
  });

  it('says why a near miss is not the control', () => {
    const nearMiss = PROWLER_CIS_SCENARIOS.find((s) => s.control === 'cis-4.13' && s.test.endsWith('substring_only_no_match'));
    expect(nearMiss).toBeDefined();
    const control = controlOf(nearMiss as ProwlerCisScenario);
    expect(control?.status).toBe('no-filter');
    expect(control?.detail).toMatch(/closest is test-filter, which lacks .*CreateRoute/);
  });
});

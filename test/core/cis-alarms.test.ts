import { describe, expect, it } from 'vitest';
import { cisAlarmPrefixFor, cisNamespaceFor, cisTopicNameFor, desiredCisAlarms, planCisAlarms } from '../../src/core/cis-alarms.js';
import { CIS_PRESETS } from '../../src/core/cis-presets.js';

describe('desiredCisAlarms', () => {
  it('makes one metric filter and one alarm per CIS 4.x preset, with the preset patterns', () => {
    const set = desiredCisAlarms('aws-cloudtrail-logs-main', 'arn:aws:sns:us-east-1:111111111111:alerts');
    expect(set.filters).toHaveLength(15);
    expect(set.alarms).toHaveLength(15);
    expect(set.filters[0]).toEqual({ filterName: 'cis-4.1-unauthorized-api-calls', filterPattern: CIS_PRESETS[0]?.pattern, metricName: CIS_PRESETS[0]?.metricName, metricNamespace: 'CISBenchmark/aws-cloudtrail-logs-main', metricValue: '1' });
    expect(set.alarms[0]).toMatchObject({ alarmName: 'trailkit/aws-cloudtrail-logs-main/cis-4.1-unauthorized-api-calls', namespace: 'CISBenchmark/aws-cloudtrail-logs-main', threshold: 1, period: 300, statistic: 'Sum', comparisonOperator: 'GreaterThanOrEqualToThreshold', alarmActions: ['arn:aws:sns:us-east-1:111111111111:alerts'] });
  });

  it('gives two log groups their own metrics and alarm names, which fit CloudWatch\'s limits', () => {
    const a = desiredCisAlarms('group-a', 'arn:aws:sns:us-east-1:111111111111:t');
    const b = desiredCisAlarms('group-b', 'arn:aws:sns:us-east-1:111111111111:t');
    const names = new Set([...a.alarms, ...b.alarms].map((x) => x.alarmName));
    expect(names.size).toBe(30);
    expect(new Set([...a.filters, ...b.filters].map((f) => `${f.metricNamespace}/${f.metricName}`)).size).toBe(30);
    const long = `/aws/${'x'.repeat(500)}`;
    expect(cisNamespaceFor(long).length).toBeLessThanOrEqual(255);
    expect(desiredCisAlarms(long, 'arn:aws:sns:us-east-1:111111111111:t').alarms.every((x) => x.alarmName.length <= 255 && x.alarmName.startsWith(cisAlarmPrefixFor(long)))).toBe(true);
    expect(cisNamespaceFor(long)).not.toBe(cisNamespaceFor(`${long}y`));
    expect(cisTopicNameFor('main.trail')).toBe('trailkit-cis-alarms-main-trail');
  });
});

describe('planCisAlarms', () => {
  const desired = desiredCisAlarms('aws-cloudtrail-logs-main', 'arn:aws:sns:us-east-1:111111111111:alerts');
  it('creates everything from nothing', () => {
    const steps = planCisAlarms(desired, { filters: [], alarms: [] });
    expect(steps).toHaveLength(30);
    expect(new Set(steps.map((s) => s.action))).toEqual(new Set(['create']));
  });

  it('leaves what matches unchanged and updates what differs', () => {
    const filters = desired.filters.map((f) => ({ name: f.filterName, pattern: f.filterPattern, metricName: f.metricName, metricNamespace: f.metricNamespace }));
    const alarms = desired.alarms.map((a) => ({ name: a.alarmName, metricName: a.metricName, namespace: a.namespace, actions: [...a.alarmActions], threshold: a.threshold, period: a.period, evaluationPeriods: a.evaluationPeriods, comparisonOperator: a.comparisonOperator, statistic: a.statistic }));
    expect(planCisAlarms(desired, { filters, alarms }).every((s) => s.action === 'unchanged')).toBe(true);
    const changedFilter = filters.map((f, i) => (i === 2 ? { ...f, pattern: '{ $.x = 1 }' } : f));
    const changedAlarm = alarms.map((a, i) => (i === 3 ? { ...a, actions: [] } : i === 4 ? { ...a, actionsEnabled: false } : a));
    const steps = planCisAlarms(desired, { filters: changedFilter, alarms: changedAlarm });
    expect(steps.filter((s) => s.action === 'update').map((s) => `${s.kind}:${s.name}`)).toEqual([`metric-filter:${desired.filters[2]?.filterName}`, `alarm:${desired.alarms[3]?.alarmName}`, `alarm:${desired.alarms[4]?.alarmName}`]);
  });
});

import { CIS_PRESETS } from './cis-presets.js';
import type { AlarmInfo, MetricFilterInfo } from './verify-checks.js';

/**
 * The CIS AWS Foundations 4.x monitoring: one metric filter per preset on the trail's log group
 * (the same patterns as `grep --preset`), and one alarm per metric that fires on the first match.
 */

export const CIS_METRIC_NAMESPACE = 'CISBenchmark';

export interface MetricFilterSpec {
  readonly filterName: string;
  readonly filterPattern: string;
  readonly metricName: string;
  readonly metricNamespace: string;
  readonly metricValue: string;
}

export interface AlarmSpec {
  readonly alarmName: string;
  readonly alarmDescription: string;
  readonly metricName: string;
  readonly namespace: string;
  readonly statistic: 'Sum';
  readonly period: number;
  readonly evaluationPeriods: number;
  readonly threshold: number;
  readonly comparisonOperator: 'GreaterThanOrEqualToThreshold';
  readonly treatMissingData: 'notBreaching';
  readonly alarmActions: readonly string[];
}

export interface CisAlarmSet {
  readonly filters: readonly MetricFilterSpec[];
  readonly alarms: readonly AlarmSpec[];
}

export function desiredCisAlarms(topicArn: string | undefined): CisAlarmSet {
  const filters: MetricFilterSpec[] = [];
  const alarms: AlarmSpec[] = [];
  for (const preset of CIS_PRESETS) {
    const name = `${preset.id}-${preset.name}`;
    filters.push({ filterName: name, filterPattern: preset.pattern, metricName: preset.metricName, metricNamespace: CIS_METRIC_NAMESPACE, metricValue: '1' });
    alarms.push({
      alarmName: name,
      alarmDescription: `CIS ${preset.id.replace('cis-', '')}: ${preset.title}`,
      metricName: preset.metricName,
      namespace: CIS_METRIC_NAMESPACE,
      statistic: 'Sum',
      period: 300,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
      alarmActions: topicArn === undefined ? [] : [topicArn],
    });
  }
  return { filters, alarms };
}

export type CisStepAction = 'create' | 'update' | 'unchanged';

export interface CisStep {
  readonly kind: 'metric-filter' | 'alarm';
  readonly name: string;
  readonly action: CisStepAction;
  readonly filter?: MetricFilterSpec;
  readonly alarm?: AlarmSpec;
}

export interface CurrentAlarm extends AlarmInfo {
  threshold?: number;
  period?: number;
  evaluationPeriods?: number;
  comparisonOperator?: string;
  statistic?: string;
}

/** Compares the desired filters and alarms with what exists, by name. */
export function planCisAlarms(desired: CisAlarmSet, current: { filters: readonly MetricFilterInfo[]; alarms: readonly CurrentAlarm[] }): CisStep[] {
  const steps: CisStep[] = [];
  for (const filter of desired.filters) {
    const found = current.filters.find((f) => f.name === filter.filterName);
    const same = found !== undefined && found.pattern === filter.filterPattern && found.metricName === filter.metricName && found.metricNamespace === filter.metricNamespace;
    steps.push({ kind: 'metric-filter', name: filter.filterName, action: found === undefined ? 'create' : same ? 'unchanged' : 'update', filter });
  }
  for (const alarm of desired.alarms) {
    const found = current.alarms.find((a) => a.name === alarm.alarmName);
    const same =
      found !== undefined &&
      found.metricName === alarm.metricName &&
      found.namespace === alarm.namespace &&
      found.threshold === alarm.threshold &&
      found.period === alarm.period &&
      found.evaluationPeriods === alarm.evaluationPeriods &&
      found.comparisonOperator === alarm.comparisonOperator &&
      found.statistic === alarm.statistic &&
      [...found.actions].sort().join(',') === [...alarm.alarmActions].sort().join(',');
    steps.push({ kind: 'alarm', name: alarm.alarmName, action: found === undefined ? 'create' : same ? 'unchanged' : 'update', alarm });
  }
  return steps;
}

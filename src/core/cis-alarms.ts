import { CIS_PRESETS } from './cis-presets.js';
import type { AlarmInfo, MetricFilterInfo } from './verify-checks.js';

/**
 * The CIS AWS Foundations 4.x monitoring: one metric filter per preset on the trail's log group
 * (the same patterns as `grep --preset`), and one alarm per metric that fires on the first match
 * and notifies an SNS topic.
 *
 * Metric filter names belong to their log group, but metrics and alarm names are shared by the
 * whole account-region: each log group gets its own metric namespace and alarm names, so two
 * trails' setups never re-point each other's alarms.
 */

export const CIS_METRIC_NAMESPACE = 'CISBenchmark';
/** CloudWatch's limit on namespaces and alarm names. */
const MAX_NAME = 255;

/** A short stable digest (FNV-1a, 64 bits as hex) for names that would be too long. */
function digest(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

function fit(prefix: string, logGroup: string, suffix = ''): string {
  const full = `${prefix}${logGroup}${suffix}`;
  return full.length <= MAX_NAME ? full : `${prefix}${logGroup.slice(0, 40)}-${digest(logGroup)}${suffix}`;
}

/** The metric namespace of a log group's CIS metrics (log group names are valid namespace characters). */
export function cisNamespaceFor(logGroup: string): string {
  return fit(`${CIS_METRIC_NAMESPACE}/`, logGroup);
}

/** What every CIS alarm name of a log group starts with. */
export function cisAlarmPrefixFor(logGroup: string): string {
  return fit('trailkit/', logGroup, '/');
}

/** The SNS topic setup creates for the alarms when none is given. */
export function cisTopicNameFor(trailName: string): string {
  return `trailkit-cis-alarms-${trailName.replace(/[^A-Za-z0-9_-]/g, '-')}`.slice(0, 256);
}

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

export function desiredCisAlarms(logGroup: string, topicArn: string): CisAlarmSet {
  const filters: MetricFilterSpec[] = [];
  const alarms: AlarmSpec[] = [];
  const namespace = cisNamespaceFor(logGroup);
  for (const preset of CIS_PRESETS) {
    const name = `${preset.id}-${preset.name}`;
    filters.push({ filterName: name, filterPattern: preset.pattern, metricName: preset.metricName, metricNamespace: namespace, metricValue: '1' });
    alarms.push({
      alarmName: `${cisAlarmPrefixFor(logGroup)}${name}`,
      alarmDescription: `CIS ${preset.id.replace('cis-', '')}: ${preset.title}`,
      metricName: preset.metricName,
      namespace,
      statistic: 'Sum',
      period: 300,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
      alarmActions: [topicArn],
    });
  }
  return { filters, alarms };
}

export type CisStepAction = 'create' | 'update' | 'unchanged';

export interface CisStep {
  readonly kind: 'topic' | 'subscription' | 'metric-filter' | 'alarm';
  readonly name: string;
  readonly action: CisStepAction;
  readonly filter?: MetricFilterSpec;
  readonly alarm?: AlarmSpec;
  /** For a topic: its name; for a subscription: the topic ARN and the address. */
  readonly topicName?: string;
  readonly topicArn?: string;
  readonly email?: string;
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
      found.actionsEnabled !== false &&
      [...found.actions].sort().join(',') === [...alarm.alarmActions].sort().join(',');
    steps.push({ kind: 'alarm', name: alarm.alarmName, action: found === undefined ? 'create' : same ? 'unchanged' : 'update', alarm });
  }
  return steps;
}

import { DescribeAlarmsCommand, PutMetricAlarmCommand, type DescribeAlarmsCommandOutput } from '@aws-sdk/client-cloudwatch';
import { DescribeMetricFiltersCommand, PutMetricFilterCommand, type DescribeMetricFiltersCommandOutput } from '@aws-sdk/client-cloudwatch-logs';
import { desiredCisAlarms, planCisAlarms, type CisStep, type CurrentAlarm } from '../core/cis-alarms.js';
import type { MetricFilterInfo } from '../core/verify-checks.js';
import type { AwsClients } from './clients.js';
import { awsErrorCode, mapAwsError } from './errors.js';

/** Reads the log group's metric filters and the region's metric alarms, then plans the CIS set. */
export async function planCisAlarmSteps(clients: AwsClients, region: string | undefined, logGroupName: string, topicArn: string | undefined): Promise<CisStep[]> {
  const logs = await clients.logs(region);
  const cloudWatch = await clients.cloudWatch(region);
  const filters: MetricFilterInfo[] = [];
  let token: string | undefined;
  try {
    do {
      const page: DescribeMetricFiltersCommandOutput = await logs.send(new DescribeMetricFiltersCommand({ logGroupName, nextToken: token }));
      for (const f of page.metricFilters ?? []) {
        const t = f.metricTransformations?.[0];
        filters.push({ name: f.filterName ?? '', pattern: f.filterPattern ?? '', ...(t?.metricName === undefined ? {} : { metricName: t.metricName }), ...(t?.metricNamespace === undefined ? {} : { metricNamespace: t.metricNamespace }) });
      }
      token = page.nextToken;
    } while (token !== undefined);
  } catch (error) {
    // A log group that this setup run is about to create has no filters yet.
    if (awsErrorCode(error) !== 'ResourceNotFoundException') throw mapAwsError(error, { action: 'logs:DescribeMetricFilters', resource: logGroupName });
  }
  const alarms: CurrentAlarm[] = [];
  token = undefined;
  try {
    do {
      const page: DescribeAlarmsCommandOutput = await cloudWatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'cis-4.', NextToken: token }));
      for (const a of page.MetricAlarms ?? []) {
        alarms.push({
          name: a.AlarmName ?? '',
          actions: a.AlarmActions ?? [],
          ...(a.MetricName === undefined ? {} : { metricName: a.MetricName }),
          ...(a.Namespace === undefined ? {} : { namespace: a.Namespace }),
          ...(a.Threshold === undefined ? {} : { threshold: a.Threshold }),
          ...(a.Period === undefined ? {} : { period: a.Period }),
          ...(a.EvaluationPeriods === undefined ? {} : { evaluationPeriods: a.EvaluationPeriods }),
          ...(a.ComparisonOperator === undefined ? {} : { comparisonOperator: a.ComparisonOperator }),
          ...(a.Statistic === undefined ? {} : { statistic: a.Statistic }),
        });
      }
      token = page.NextToken;
    } while (token !== undefined);
  } catch (error) {
    throw mapAwsError(error, { action: 'cloudwatch:DescribeAlarms' });
  }
  return planCisAlarms(desiredCisAlarms(topicArn), { filters, alarms });
}

/** Applies one planned step (PutMetricFilter / PutMetricAlarm both create or replace). */
export async function applyCisAlarmStep(clients: AwsClients, region: string | undefined, logGroupName: string, step: CisStep): Promise<void> {
  if (step.action === 'unchanged') return;
  if (step.filter !== undefined) {
    const f = step.filter;
    try {
      await (await clients.logs(region)).send(new PutMetricFilterCommand({
        logGroupName,
        filterName: f.filterName,
        filterPattern: f.filterPattern,
        metricTransformations: [{ metricName: f.metricName, metricNamespace: f.metricNamespace, metricValue: f.metricValue }],
      }));
    } catch (error) {
      throw mapAwsError(error, { action: 'logs:PutMetricFilter', resource: f.filterName });
    }
  }
  if (step.alarm !== undefined) {
    const a = step.alarm;
    try {
      await (await clients.cloudWatch(region)).send(new PutMetricAlarmCommand({
        AlarmName: a.alarmName,
        AlarmDescription: a.alarmDescription,
        MetricName: a.metricName,
        Namespace: a.namespace,
        Statistic: a.statistic,
        Period: a.period,
        EvaluationPeriods: a.evaluationPeriods,
        Threshold: a.threshold,
        ComparisonOperator: a.comparisonOperator,
        TreatMissingData: a.treatMissingData,
        AlarmActions: [...a.alarmActions],
      }));
    } catch (error) {
      throw mapAwsError(error, { action: 'cloudwatch:PutMetricAlarm', resource: a.alarmName });
    }
  }
}

import { DescribeAlarmsCommand, PutMetricAlarmCommand, type DescribeAlarmsCommandOutput } from '@aws-sdk/client-cloudwatch';
import { DescribeMetricFiltersCommand, PutMetricFilterCommand, type DescribeMetricFiltersCommandOutput } from '@aws-sdk/client-cloudwatch-logs';
import { CreateTopicCommand, GetTopicAttributesCommand, ListSubscriptionsByTopicCommand, SubscribeCommand, type ListSubscriptionsByTopicCommandOutput } from '@aws-sdk/client-sns';
import { cisAlarmPrefixFor, desiredCisAlarms, planCisAlarms, type CisStep, type CurrentAlarm } from '../core/cis-alarms.js';
import type { MetricFilterInfo } from '../core/verify-checks.js';
import type { AwsClients } from './clients.js';
import { awsErrorCode, mapAwsError } from './errors.js';

export interface CisTopic {
  readonly arn: string;
  /** Set when setup makes the topic (no --alarm-topic): its name. */
  readonly createName?: string;
  /** --alarm-email: an address to subscribe. */
  readonly email?: string;
}

/** The topic step (when setup owns the topic) and the email subscription step. */
async function planTopic(clients: AwsClients, topic: CisTopic): Promise<CisStep[]> {
  const sns = await clients.sns(topic.arn.split(':')[3]);
  const steps: CisStep[] = [];
  let exists = topic.createName === undefined;
  if (topic.createName !== undefined) {
    try {
      await sns.send(new GetTopicAttributesCommand({ TopicArn: topic.arn }));
      exists = true;
    } catch (error) {
      if (awsErrorCode(error) !== 'NotFound' && awsErrorCode(error) !== 'NotFoundException') throw mapAwsError(error, { action: 'sns:GetTopicAttributes', resource: topic.arn });
    }
    steps.push({ kind: 'topic', name: topic.arn, action: exists ? 'unchanged' : 'create', topicName: topic.createName, topicArn: topic.arn });
  }
  if (topic.email === undefined) return steps;
  let subscribed = false;
  if (exists) {
    let token: string | undefined;
    try {
      do {
        const page: ListSubscriptionsByTopicCommandOutput = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topic.arn, NextToken: token }));
        if ((page.Subscriptions ?? []).some((sub) => sub.Protocol === 'email' && sub.Endpoint?.toLowerCase() === topic.email?.toLowerCase())) subscribed = true;
        token = page.NextToken;
      } while (token !== undefined && !subscribed);
    } catch (error) {
      throw mapAwsError(error, { action: 'sns:ListSubscriptionsByTopic', resource: topic.arn });
    }
  }
  steps.push({ kind: 'subscription', name: `${topic.email} -> ${topic.arn}`, action: subscribed ? 'unchanged' : 'create', topicArn: topic.arn, email: topic.email });
  return steps;
}

/** Reads the topic, the log group's metric filters and the region's metric alarms, then plans the CIS set. */
export async function planCisAlarmSteps(clients: AwsClients, region: string | undefined, logGroupName: string, topic: CisTopic): Promise<CisStep[]> {
  const topicSteps = await planTopic(clients, topic);
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
      const page: DescribeAlarmsCommandOutput = await cloudWatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: cisAlarmPrefixFor(logGroupName), NextToken: token }));
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
          ...(a.ActionsEnabled === undefined ? {} : { actionsEnabled: a.ActionsEnabled }),
        });
      }
      token = page.NextToken;
    } while (token !== undefined);
  } catch (error) {
    throw mapAwsError(error, { action: 'cloudwatch:DescribeAlarms' });
  }
  return [...topicSteps, ...planCisAlarms(desiredCisAlarms(logGroupName, topic.arn), { filters, alarms })];
}

/** Applies one planned step (PutMetricFilter / PutMetricAlarm both create or replace). */
export async function applyCisAlarmStep(clients: AwsClients, region: string | undefined, logGroupName: string, step: CisStep): Promise<void> {
  if (step.action === 'unchanged') return;
  if (step.kind === 'topic' && step.topicName !== undefined) {
    const sns = await clients.sns(step.topicArn?.split(':')[3]);
    try {
      await sns.send(new CreateTopicCommand({ Name: step.topicName }));
    } catch (error) {
      throw mapAwsError(error, { action: 'sns:CreateTopic', resource: step.topicName });
    }
    return;
  }
  if (step.kind === 'subscription' && step.topicArn !== undefined && step.email !== undefined) {
    const sns = await clients.sns(step.topicArn.split(':')[3]);
    try {
      await sns.send(new SubscribeCommand({ TopicArn: step.topicArn, Protocol: 'email', Endpoint: step.email }));
    } catch (error) {
      throw mapAwsError(error, { action: 'sns:Subscribe', resource: step.topicArn });
    }
    return;
  }
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
        ActionsEnabled: true,
      }));
    } catch (error) {
      throw mapAwsError(error, { action: 'cloudwatch:PutMetricAlarm', resource: a.alarmName });
    }
  }
}

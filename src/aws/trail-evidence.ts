import { GetEventSelectorsCommand, GetInsightSelectorsCommand, GetTrailCommand, GetTrailStatusCommand, TrailNotFoundException } from '@aws-sdk/client-cloudtrail';
import { DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { DescribeLogGroupsCommand, DescribeMetricFiltersCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetPolicyCommand, GetPolicyVersionCommand, GetRoleCommand, GetRolePolicyCommand, ListAttachedRolePoliciesCommand, ListRolePoliciesCommand, type ListAttachedRolePoliciesCommandOutput, type ListRolePoliciesCommandOutput } from '@aws-sdk/client-iam';
import { GetBucketAclCommand, GetBucketLoggingCommand, GetBucketPolicyCommand, GetBucketPolicyStatusCommand, GetBucketVersioningCommand, GetObjectLockConfigurationCommand, GetPublicAccessBlockCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import { ListSubscriptionsByTopicCommand, type ListSubscriptionsByTopicCommandOutput } from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { parseTrailArn } from '../core/s3-layout.js';
import type { AlarmInfo, BucketVersioningInfo, IntegrityInfo, LogGroupInfo, MetricFilterInfo, ObjectLockInfo, Probe, RoleInfo, SelectorsInfo, SubscriptionInfo, TrailEvidence, TrailInfo, TrailStatusInfo } from '../core/verify-checks.js';
import type { AwsClients } from './clients.js';
import { awsErrorCode, isAccessDenied, isNotFound } from './errors.js';

/** Runs one look-up; AccessDenied becomes "needs ACTION" so the check can skip and say why. */
export async function probe<T>(action: string, look: () => Promise<T>): Promise<Probe<T>> {
  try {
    return { ok: true, value: await look() };
  } catch (error) {
    const message = `${awsErrorCode(error) ?? 'Error'}: ${((error as Error).message ?? '').split('\n')[0]}`;
    if (isAccessDenied(error)) return { ok: false, denied: action, error: message };
    return { ok: false, error: message };
  }
}

const toMs = (d: Date | undefined) => (d === undefined ? undefined : d.getTime());

export interface GatherOptions {
  /** Trail name or ARN. */
  readonly trail: string;
  readonly integrityHours: number;
  readonly now: number;
  /** Validates the trail's digests for the window; given by the CLI so verify reuses validate-digest. */
  readonly integrity?: (trail: TrailInfo, since: number, until: number) => Promise<IntegrityInfo | undefined>;
}

/** Gathers everything the verify checks look at, each look-up failing on its own. */
export async function gatherTrailEvidence(clients: AwsClients, options: GatherOptions): Promise<TrailEvidence> {
  const arnRegion = parseTrailArn(options.trail)?.region;
  const cloudTrail = await clients.cloudTrail(arnRegion);
  const base = { trailRef: options.trail, now: options.now, integrityHours: options.integrityHours };

  const trail = await probe<TrailInfo | undefined>('cloudtrail:GetTrail', async () => {
    try {
      const t = (await cloudTrail.send(new GetTrailCommand({ Name: options.trail }))).Trail;
      if (t?.TrailARN === undefined) return undefined;
      const info: TrailInfo = {
        name: t.Name ?? options.trail,
        arn: t.TrailARN,
        homeRegion: t.HomeRegion ?? parseTrailArn(t.TrailARN)?.region ?? arnRegion ?? '',
      };
      const optional: [keyof TrailInfo, unknown][] = [
        ['s3BucketName', t.S3BucketName], ['s3KeyPrefix', t.S3KeyPrefix], ['isMultiRegionTrail', t.IsMultiRegionTrail],
        ['includeGlobalServiceEvents', t.IncludeGlobalServiceEvents], ['logFileValidationEnabled', t.LogFileValidationEnabled],
        ['kmsKeyId', t.KmsKeyId], ['cloudWatchLogsLogGroupArn', t.CloudWatchLogsLogGroupArn], ['cloudWatchLogsRoleArn', t.CloudWatchLogsRoleArn],
        ['isOrganizationTrail', t.IsOrganizationTrail], ['hasCustomEventSelectors', t.HasCustomEventSelectors],
      ];
      for (const [key, value] of optional) if (value !== undefined && value !== null) (info as unknown as Record<string, unknown>)[key] = value;
      return info;
    } catch (error) {
      if (error instanceof TrailNotFoundException || awsErrorCode(error) === 'TrailNotFoundException') return undefined;
      throw error;
    }
  });
  if (!trail.ok || trail.value === undefined) return { ...base, trail };
  const t = trail.value;
  const home = await clients.cloudTrail(t.homeRegion === '' ? undefined : t.homeRegion);

  const accountId = await probe('sts:GetCallerIdentity', async () => (await (await clients.sts()).send(new GetCallerIdentityCommand({}))).Account);
  const status = probe<TrailStatusInfo>('cloudtrail:GetTrailStatus', async () => {
    const s = await home.send(new GetTrailStatusCommand({ Name: t.arn }));
    const info: TrailStatusInfo = {};
    if (s.IsLogging !== undefined) info.isLogging = s.IsLogging;
    if (s.LatestDeliveryError) info.latestDeliveryError = s.LatestDeliveryError;
    if (s.LatestDigestDeliveryError) info.latestDigestDeliveryError = s.LatestDigestDeliveryError;
    if (s.LatestCloudWatchLogsDeliveryError) info.latestCloudWatchLogsDeliveryError = s.LatestCloudWatchLogsDeliveryError;
    const cloudWatch = toMs(s.LatestCloudWatchLogsDeliveryTime);
    if (cloudWatch !== undefined) info.latestCloudWatchLogsDeliveryTime = cloudWatch;
    const delivered = toMs(s.LatestDeliveryTime);
    if (delivered !== undefined) info.latestDeliveryTime = delivered;
    const started = toMs(s.StartLoggingTime);
    if (started !== undefined) info.startLoggingTime = started;
    return info;
  });
  const selectors = probe<SelectorsInfo>('cloudtrail:GetEventSelectors', async () => {
    const s = await home.send(new GetEventSelectorsCommand({ TrailName: t.arn }));
    return { basic: (s.EventSelectors ?? []) as SelectorsInfo['basic'], advanced: (s.AdvancedEventSelectors ?? []) as SelectorsInfo['advanced'] };
  });

  const insightTypes = probe<string[]>('cloudtrail:GetInsightSelectors', async () => {
    try {
      const out = await home.send(new GetInsightSelectorsCommand({ TrailName: t.arn }));
      return [...new Set((out.InsightSelectors ?? []).map((i) => i.InsightType ?? '').filter((i) => i !== ''))];
    } catch (error) {
      if (awsErrorCode(error) === 'InsightNotEnabledException') return [];
      throw error;
    }
  });

  const bucket = t.s3BucketName ?? '';
  const s3 = await clients.s3(t.homeRegion === '' ? undefined : t.homeRegion);
  const bucketExists = probe<boolean>('s3:ListBucket', async () => {
    try {
      await s3.send(new HeadBucketCommand({ Bucket: bucket }));
      return true;
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || awsErrorCode(error) === 'NoSuchBucket' || awsErrorCode(error) === 'NotFound') return false;
      throw error;
    }
  });
  const bucketVersioning = probe<BucketVersioningInfo>('s3:GetBucketVersioning', async () => {
    const v = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
    return { ...(v.Status === undefined ? {} : { status: v.Status }), ...(v.MFADelete === undefined ? {} : { mfaDelete: v.MFADelete }) };
  });
  const objectLock = probe<ObjectLockInfo | undefined>('s3:GetBucketObjectLockConfiguration', async () => {
    try {
      const c = (await s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }))).ObjectLockConfiguration;
      const rule = c?.Rule?.DefaultRetention;
      return {
        enabled: c?.ObjectLockEnabled === 'Enabled',
        ...(rule?.Mode === undefined ? {} : { mode: rule.Mode }),
        ...(rule?.Days === undefined ? {} : { days: rule.Days }),
        ...(rule?.Years === undefined ? {} : { years: rule.Years }),
      };
    } catch (error) {
      if (awsErrorCode(error) === 'ObjectLockConfigurationNotFoundError') return undefined;
      throw error;
    }
  });
  const bucketPolicy = probe<string | undefined>('s3:GetBucketPolicy', async () => {
    try {
      return (await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy;
    } catch (error) {
      if (awsErrorCode(error) === 'NoSuchBucketPolicy') return undefined;
      throw error;
    }
  });
  const publicAccessBlock = probe('s3:GetBucketPublicAccessBlock', async () => {
    try {
      const c = (await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration;
      return c === undefined ? undefined : { blockPublicAcls: c.BlockPublicAcls, ignorePublicAcls: c.IgnorePublicAcls, blockPublicPolicy: c.BlockPublicPolicy, restrictPublicBuckets: c.RestrictPublicBuckets };
    } catch (error) {
      if (awsErrorCode(error) === 'NoSuchPublicAccessBlockConfiguration') return undefined;
      throw error;
    }
  });
  const bucketPolicyIsPublic = probe('s3:GetBucketPolicyStatus', async () => {
    try {
      return (await s3.send(new GetBucketPolicyStatusCommand({ Bucket: bucket }))).PolicyStatus?.IsPublic;
    } catch (error) {
      if (awsErrorCode(error) === 'NoSuchBucketPolicy' || isNotFound(error)) return undefined;
      throw error;
    }
  });
  const bucketAclPublicGrants = probe('s3:GetBucketAcl', async () => {
    const acl = await s3.send(new GetBucketAclCommand({ Bucket: bucket }));
    return (acl.Grants ?? [])
      .filter((g) => /acs\.amazonaws\.com\/groups\/global\/(AllUsers|AuthenticatedUsers)$/.test(g.Grantee?.URI ?? ''))
      .map((g) => `${g.Permission ?? '?'} to ${(g.Grantee?.URI ?? '').split('/').pop() ?? ''}`);
  });
  const bucketLogging = probe('s3:GetBucketLogging', async () => {
    const target = (await s3.send(new GetBucketLoggingCommand({ Bucket: bucket }))).LoggingEnabled?.TargetBucket;
    return target === undefined ? undefined : { targetBucket: target };
  });

  const groupArn = t.cloudWatchLogsLogGroupArn;
  const groupName = groupArn === undefined ? undefined : /:log-group:([^:]+)/.exec(groupArn)?.[1];
  const groupRegion = groupArn?.split(':')[3];
  let logGroupExists: Promise<Probe<boolean>> | undefined;
  let logGroup: Promise<Probe<LogGroupInfo | undefined>> | undefined;
  let metricFilters: Promise<Probe<MetricFilterInfo[]>> | undefined;
  let alarms: Promise<Probe<AlarmInfo[]>> | undefined;
  if (groupName !== undefined) {
    const logs = await clients.logs(groupRegion);
    logGroup = probe('logs:DescribeLogGroups', async () => {
      let token: string | undefined;
      do {
        const page = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: groupName, nextToken: token }));
        const hit = (page.logGroups ?? []).find((g) => g.logGroupName === groupName);
        if (hit !== undefined) return { ...(hit.kmsKeyId === undefined ? {} : { kmsKeyId: hit.kmsKeyId }), ...(hit.retentionInDays === undefined ? {} : { retentionInDays: hit.retentionInDays }) };
        token = page.nextToken;
      } while (token !== undefined);
      return undefined;
    });
    logGroupExists = logGroup.then((p): Probe<boolean> => (p.ok ? { ok: true, value: p.value !== undefined } : p));
    metricFilters = probe('logs:DescribeMetricFilters', async () => {
      const out: MetricFilterInfo[] = [];
      let token: string | undefined;
      do {
        const page = await logs.send(new DescribeMetricFiltersCommand({ logGroupName: groupName, nextToken: token }));
        for (const f of page.metricFilters ?? []) {
          const transformation = f.metricTransformations?.[0];
          out.push({
            name: f.filterName ?? '',
            pattern: f.filterPattern ?? '',
            ...(transformation?.metricName === undefined ? {} : { metricName: transformation.metricName }),
            ...(transformation?.metricNamespace === undefined ? {} : { metricNamespace: transformation.metricNamespace }),
          });
        }
        token = page.nextToken;
      } while (token !== undefined);
      return out;
    });
    alarms = probe('cloudwatch:DescribeAlarms', async () => {
      const cloudWatch = await clients.cloudWatch(groupRegion);
      {
        const out: AlarmInfo[] = [];
        let token: string | undefined;
        do {
          const page = await cloudWatch.send(new DescribeAlarmsCommand({ NextToken: token, AlarmTypes: ['MetricAlarm'] }));
          for (const a of (page.MetricAlarms ?? []) as MetricAlarm[]) {
            out.push({
              name: a.AlarmName ?? '',
              ...(a.MetricName === undefined ? {} : { metricName: a.MetricName }),
              ...(a.Namespace === undefined ? {} : { namespace: a.Namespace }),
              actions: a.AlarmActions ?? [],
              ...(a.ActionsEnabled === undefined ? {} : { actionsEnabled: a.ActionsEnabled }),
            });
          }
          token = page.NextToken;
        } while (token !== undefined);
        return out;
      }
    });
  }
  const roleArn = t.cloudWatchLogsRoleArn;
  const role = roleArn === undefined ? undefined : probe<RoleInfo | undefined>('iam:GetRole', () => readRole(clients, roleArn));

  const integrity = t.logFileValidationEnabled === true && options.integrity !== undefined
    ? probe('s3:ListBucket, s3:GetObject and cloudtrail:ListPublicKeys', () => (options.integrity as NonNullable<GatherOptions['integrity']>)(t, options.now - options.integrityHours * 3_600_000, options.now))
    : undefined;

  const filtersRead = metricFilters === undefined ? undefined : await metricFilters;
  const alarmsRead = alarms === undefined ? undefined : await alarms;
  const topicSubscriptions = filtersRead?.ok === true && alarmsRead?.ok === true ? await readSubscriptions(clients, filtersRead.value, alarmsRead.value) : undefined;

  const account = accountId.ok ? accountId.value : undefined;
  return {
    ...base,
    ...(account === undefined ? {} : { accountId: account }),
    trail,
    status: await status,
    selectors: await selectors,
    insightTypes: await insightTypes,
    bucketExists: await bucketExists,
    bucketPolicy: await bucketPolicy,
    bucketVersioning: await bucketVersioning,
    objectLock: await objectLock,
    publicAccessBlock: await publicAccessBlock,
    bucketPolicyIsPublic: await bucketPolicyIsPublic,
    bucketAclPublicGrants: await bucketAclPublicGrants,
    bucketLogging: await bucketLogging,
    ...(logGroupExists === undefined ? {} : { logGroupExists: await logGroupExists }),
    ...(logGroup === undefined ? {} : { logGroup: await logGroup }),
    ...(filtersRead === undefined ? {} : { metricFilters: filtersRead }),
    ...(alarmsRead === undefined ? {} : { alarms: alarmsRead }),
    ...(topicSubscriptions === undefined ? {} : { topicSubscriptions }),
    ...(role === undefined ? {} : { role: await role }),
    ...(integrity === undefined ? {} : { integrity: await integrity }),
  };
}

/** The subscriptions of every SNS topic that an alarm on one of the log group's filter metrics notifies. */
async function readSubscriptions(clients: AwsClients, filters: readonly MetricFilterInfo[], alarms: readonly AlarmInfo[]): Promise<Record<string, Probe<SubscriptionInfo[]>>> {
  const metrics = new Set(filters.map((f) => `${f.metricNamespace ?? ''}\u0000${f.metricName ?? ''}`));
  const topics = new Set<string>();
  for (const a of alarms) {
    if (!metrics.has(`${a.namespace ?? ''}\u0000${a.metricName ?? ''}`)) continue;
    for (const action of a.actions) if (/^arn:[a-z-]+:sns:/.test(action)) topics.add(action);
  }
  const out: Record<string, Probe<SubscriptionInfo[]>> = {};
  await Promise.all([...topics].map(async (topic) => {
    out[topic] = await probe('sns:ListSubscriptionsByTopic', async () => {
      const sns = await clients.sns(topic.split(':')[3]);
      const subscriptions: SubscriptionInfo[] = [];
      let token: string | undefined;
      do {
        const page: ListSubscriptionsByTopicCommandOutput = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topic, NextToken: token }));
        for (const s of page.Subscriptions ?? []) subscriptions.push({ arn: s.SubscriptionArn ?? '', ...(s.Protocol === undefined ? {} : { protocol: s.Protocol }) });
        token = page.NextToken;
      } while (token !== undefined);
      return subscriptions;
    });
  }));
  return out;
}

async function readRole(clients: AwsClients, roleArn: string): Promise<RoleInfo | undefined> {
  const iam = await clients.iam();
  const roleName = roleArn.split('/').pop() ?? roleArn;
  let trust: string | undefined;
  try {
    trust = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role?.AssumeRolePolicyDocument;
  } catch (error) {
    if (awsErrorCode(error) === 'NoSuchEntity' || awsErrorCode(error) === 'NoSuchEntityException') return undefined;
    throw error;
  }
  const policies: string[] = [];
  let marker: string | undefined;
  do {
    const page: ListRolePoliciesCommandOutput = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName, Marker: marker }));
    for (const policyName of page.PolicyNames ?? []) {
      const doc = (await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }))).PolicyDocument;
      if (doc !== undefined) policies.push(doc);
    }
    marker = page.IsTruncated === true ? page.Marker : undefined;
  } while (marker !== undefined);
  marker = undefined;
  do {
    const page: ListAttachedRolePoliciesCommandOutput = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName, Marker: marker }));
    for (const attached of page.AttachedPolicies ?? []) {
      if (attached.PolicyArn === undefined) continue;
      const policy = (await iam.send(new GetPolicyCommand({ PolicyArn: attached.PolicyArn }))).Policy;
      if (policy?.DefaultVersionId === undefined) continue;
      const doc = (await iam.send(new GetPolicyVersionCommand({ PolicyArn: attached.PolicyArn, VersionId: policy.DefaultVersionId }))).PolicyVersion?.Document;
      if (doc !== undefined) policies.push(doc);
    }
    marker = page.IsTruncated === true ? page.Marker : undefined;
  } while (marker !== undefined);
  return { arn: roleArn, ...(trust === undefined ? {} : { trustPolicy: trust }), policies };
}

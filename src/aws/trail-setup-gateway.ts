/**
 * The AWS calls trail setup makes, behind one small interface: reading what exists and the
 * writes of each setup step. Every SDK error becomes a one-line TrailkitError naming the IAM
 * action (mapAwsError); "not found" reads come back as undefined.
 */
import {
  AddTagsCommand, CreateTrailCommand, GetEventSelectorsCommand, GetInsightSelectorsCommand, GetTrailCommand, GetTrailStatusCommand,
  ListTagsCommand, PutEventSelectorsCommand, PutInsightSelectorsCommand, StartLoggingCommand, UpdateTrailCommand, type Trail,
  type AdvancedEventSelector as SdkAdvancedSelector, type EventSelector as SdkEventSelector, type InsightType,
} from '@aws-sdk/client-cloudtrail';
import {
  CreateLogGroupCommand, DescribeLogGroupsCommand, PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { CreateRoleCommand, GetRoleCommand, GetRolePolicyCommand, PutRolePolicyCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, GetKeyPolicyCommand, ListKeysCommand, ListResourceTagsCommand, PutKeyPolicyCommand,
} from '@aws-sdk/client-kms';
import {
  CreateBucketCommand, GetBucketPolicyCommand, GetPublicAccessBlockCommand, HeadBucketCommand, PutBucketPolicyCommand,
  PutPublicAccessBlockCommand, type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import { CreateTopicCommand, GetTopicAttributesCommand, SetTopicAttributesCommand } from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { TrailkitError } from '../core/errors.js';
import type { AdvancedEventSelector, BasicEventSelector } from '../core/event-selectors.js';
import { KMS_TRAIL_TAG, type CreateTrailInput, type PublicAccessBlock, type TrailState } from '../core/setup-plan.js';
import type { AwsClients } from './clients.js';
import { awsErrorCode, isNotFound, mapAwsError } from './errors.js';

export interface CallerIdentity {
  account: string;
  arn: string;
  partition: string;
}

/** Runs one SDK call; an error becomes a one-line TrailkitError that names the IAM action. */
async function call<T>(action: string, resource: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    throw mapAwsError(error, { action, resource });
  }
}

/** Like `call`, but "not found" (any of `codes`, or a 404) gives undefined. */
async function read<T>(action: string, resource: string, body: () => Promise<T>, codes: readonly string[] = []): Promise<T | undefined> {
  try {
    return await body();
  } catch (error) {
    const code = awsErrorCode(error) ?? '';
    if (codes.includes(code) || isNotFound(error)) return undefined;
    throw mapAwsError(error, { action, resource });
  }
}

function trailState(t: Trail): TrailState {
  const out: TrailState = { name: t.Name ?? '', arn: t.TrailARN ?? '' };
  if (t.HomeRegion !== undefined) out.homeRegion = t.HomeRegion;
  if (t.S3BucketName !== undefined) out.s3BucketName = t.S3BucketName;
  if (t.S3KeyPrefix !== undefined && t.S3KeyPrefix !== null) out.s3KeyPrefix = t.S3KeyPrefix;
  if (t.SnsTopicName !== undefined && t.SnsTopicName !== null) out.snsTopicName = t.SnsTopicName;
  if (t.IncludeGlobalServiceEvents !== undefined) out.includeGlobalServiceEvents = t.IncludeGlobalServiceEvents;
  if (t.IsMultiRegionTrail !== undefined) out.isMultiRegionTrail = t.IsMultiRegionTrail;
  if (t.LogFileValidationEnabled !== undefined) out.logFileValidationEnabled = t.LogFileValidationEnabled;
  if (t.CloudWatchLogsLogGroupArn !== undefined && t.CloudWatchLogsLogGroupArn !== null) out.cloudWatchLogsLogGroupArn = t.CloudWatchLogsLogGroupArn;
  if (t.CloudWatchLogsRoleArn !== undefined && t.CloudWatchLogsRoleArn !== null) out.cloudWatchLogsRoleArn = t.CloudWatchLogsRoleArn;
  if (t.KmsKeyId !== undefined && t.KmsKeyId !== null) out.kmsKeyId = t.KmsKeyId;
  if (t.IsOrganizationTrail !== undefined) out.isOrganizationTrail = t.IsOrganizationTrail;
  return out;
}

/** IAM returns policy documents URL-encoded. */
function decodePolicy(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  return text.trimStart().startsWith('{') ? text : decodeURIComponent(text);
}

export class TrailSetupGateway {
  constructor(private readonly clients: AwsClients, readonly region: string) {}

  // --- STS

  async callerIdentity(): Promise<CallerIdentity> {
    const sts = await this.clients.sts();
    const out = await call('sts:GetCallerIdentity', 'the caller', () => sts.send(new GetCallerIdentityCommand({})));
    const arn = out.Arn ?? '';
    return { account: out.Account ?? '', arn, partition: /^arn:([^:]+):/.exec(arn)?.[1] ?? 'aws' };
  }

  // --- S3

  /** Whether the bucket exists and is ours; a bucket of another account is an error. */
  async bucketExists(bucket: string): Promise<boolean> {
    const s3 = await this.clients.s3(this.region);
    try {
      await s3.send(new HeadBucketCommand({ Bucket: bucket }));
      return true;
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || isNotFound(error)) return false;
      if (status === 403) throw new TrailkitError('bucket', `S3 bucket ${bucket} exists but this account cannot use it (it belongs to another account, or the caller lacks s3:ListBucket)`, { hint: 'choose another --bucket name' });
      throw mapAwsError(error, { action: 's3:ListBucket', resource: `s3://${bucket}` });
    }
  }

  async bucketPolicy(bucket: string): Promise<string | undefined> {
    const s3 = await this.clients.s3(this.region);
    const out = await read('s3:GetBucketPolicy', `s3://${bucket}`, () => s3.send(new GetBucketPolicyCommand({ Bucket: bucket })), ['NoSuchBucketPolicy']);
    return out?.Policy;
  }

  async publicAccessBlock(bucket: string): Promise<PublicAccessBlock | undefined> {
    const s3 = await this.clients.s3(this.region);
    const out = await read('s3:GetBucketPublicAccessBlock', `s3://${bucket}`, () => s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket })), ['NoSuchPublicAccessBlockConfiguration']);
    const c = out?.PublicAccessBlockConfiguration;
    if (c === undefined) return undefined;
    const pab: PublicAccessBlock = {};
    if (c.BlockPublicAcls !== undefined) pab.BlockPublicAcls = c.BlockPublicAcls;
    if (c.IgnorePublicAcls !== undefined) pab.IgnorePublicAcls = c.IgnorePublicAcls;
    if (c.BlockPublicPolicy !== undefined) pab.BlockPublicPolicy = c.BlockPublicPolicy;
    if (c.RestrictPublicBuckets !== undefined) pab.RestrictPublicBuckets = c.RestrictPublicBuckets;
    return pab;
  }

  async createBucket(bucket: string): Promise<void> {
    const s3 = await this.clients.s3(this.region);
    try {
      await s3.send(new CreateBucketCommand({
        Bucket: bucket,
        ...(this.region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: this.region as BucketLocationConstraint } }),
      }));
    } catch (error) {
      if (awsErrorCode(error) === 'BucketAlreadyOwnedByYou') return;
      if (awsErrorCode(error) === 'BucketAlreadyExists') throw new TrailkitError('bucket', `S3 bucket name ${bucket} is taken by another account`, { hint: 'choose another --bucket name' });
      throw mapAwsError(error, { action: 's3:CreateBucket', resource: `s3://${bucket}` });
    }
  }

  async putPublicAccessBlock(bucket: string): Promise<void> {
    const s3 = await this.clients.s3(this.region);
    await call('s3:PutBucketPublicAccessBlock', `s3://${bucket}`, () => s3.send(new PutPublicAccessBlockCommand({
      Bucket: bucket,
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
    })));
  }

  async putBucketPolicy(bucket: string, policy: string): Promise<void> {
    const s3 = await this.clients.s3(this.region);
    await call('s3:PutBucketPolicy', `s3://${bucket}`, () => s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policy })));
  }

  // --- KMS

  /** The key's ARN and policy, or undefined when no such key or alias exists. */
  async kmsKey(ref: string): Promise<{ arn: string; policy?: string } | undefined> {
    const kms = await this.clients.kms(this.region);
    const described = await read('kms:DescribeKey', ref, () => kms.send(new DescribeKeyCommand({ KeyId: ref })));
    const arn = described?.KeyMetadata?.Arn;
    if (arn === undefined) return undefined;
    const policy = await call('kms:GetKeyPolicy', arn, () => kms.send(new GetKeyPolicyCommand({ KeyId: arn, PolicyName: 'default' })));
    return policy.Policy === undefined ? { arn } : { arn, policy: policy.Policy };
  }

  /**
   * An enabled customer key carrying `tag` = `value`: the key an earlier `--create-kms-key` run
   * made before its CreateAlias failed. Keys whose tags cannot be read are passed over.
   */
  async kmsKeyTagged(tag: string, value: string): Promise<{ keyId: string; arn: string } | undefined> {
    const kms = await this.clients.kms(this.region);
    let marker: string | undefined;
    do {
      const page = await call('kms:ListKeys', 'the KMS keys', () => kms.send(new ListKeysCommand({ ...(marker === undefined ? {} : { Marker: marker }) })));
      for (const key of page.Keys ?? []) {
        const keyId = key.KeyId;
        if (keyId === undefined) continue;
        const tags = await read('kms:ListResourceTags', keyId, () => kms.send(new ListResourceTagsCommand({ KeyId: keyId })), ['AccessDeniedException', 'KMSInvalidStateException']);
        if (!(tags?.Tags ?? []).some((t) => t.TagKey === tag && t.TagValue === value)) continue;
        const meta = (await read('kms:DescribeKey', keyId, () => kms.send(new DescribeKeyCommand({ KeyId: keyId }))))?.KeyMetadata;
        if (meta?.Arn !== undefined && meta.KeyState === 'Enabled' && meta.KeyManager !== 'AWS') return { keyId, arn: meta.Arn };
      }
      marker = page.Truncated === true ? page.NextMarker : undefined;
    } while (marker !== undefined);
    return undefined;
  }

  /**
   * Creates the trail's key and its alias. When the key tagged for this trail (KMS_TRAIL_TAG)
   * already exists, because an earlier run stopped between CreateKey and CreateAlias, that key
   * gets the alias instead of a second key being made.
   */
  async createKmsKey(alias: string, policy: string, tags: Record<string, string>): Promise<{ arn: string; reused: boolean }> {
    const kms = await this.clients.kms(this.region);
    const trail = tags[KMS_TRAIL_TAG];
    let key = trail === undefined ? undefined : await this.kmsKeyTagged(KMS_TRAIL_TAG, trail);
    const reused = key !== undefined;
    if (key === undefined) {
      const created = await call('kms:CreateKey', alias, () => kms.send(new CreateKeyCommand({
        Description: `CloudTrail log encryption (${alias}, created by trailkit)`,
        Policy: policy,
        Tags: Object.entries(tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue })),
      })));
      const arn = created.KeyMetadata?.Arn ?? '';
      key = { keyId: created.KeyMetadata?.KeyId ?? arn, arn };
    }
    const target = key.keyId;
    await call('kms:CreateAlias', alias, () => kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: target })));
    return { arn: key.arn, reused };
  }

  async putKeyPolicy(keyId: string, policy: string): Promise<void> {
    const kms = await this.clients.kms(this.region);
    await call('kms:PutKeyPolicy', keyId, () => kms.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default', Policy: policy })));
  }

  // --- SNS

  async topic(arn: string): Promise<{ arn: string; policy?: string } | undefined> {
    const sns = await this.clients.sns(this.region);
    const out = await read('sns:GetTopicAttributes', arn, () => sns.send(new GetTopicAttributesCommand({ TopicArn: arn })));
    if (out === undefined) return undefined;
    const policy = out.Attributes?.['Policy'];
    return policy === undefined ? { arn } : { arn, policy };
  }

  async createTopic(name: string, tags: Record<string, string>): Promise<string> {
    const sns = await this.clients.sns(this.region);
    const out = await call('sns:CreateTopic', name, () => sns.send(new CreateTopicCommand({
      Name: name,
      ...(Object.keys(tags).length === 0 ? {} : { Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }),
    })));
    return out.TopicArn ?? '';
  }

  async setTopicPolicy(arn: string, policy: string): Promise<void> {
    const sns = await this.clients.sns(this.region);
    await call('sns:SetTopicAttributes', arn, () => sns.send(new SetTopicAttributesCommand({ TopicArn: arn, AttributeName: 'Policy', AttributeValue: policy })));
  }

  // --- CloudWatch Logs

  async logGroup(name: string): Promise<{ arn: string; retentionInDays?: number } | undefined> {
    const logs = await this.clients.logs(this.region);
    let token: string | undefined;
    do {
      const page = await call('logs:DescribeLogGroups', name, () => logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name, nextToken: token })));
      const hit = page.logGroups?.find((g) => g.logGroupName === name);
      if (hit !== undefined) {
        const arn = hit.arn ?? '';
        return hit.retentionInDays === undefined ? { arn } : { arn, retentionInDays: hit.retentionInDays };
      }
      token = page.nextToken;
    } while (token !== undefined);
    return undefined;
  }

  async createLogGroup(name: string, options: { kmsKeyId?: string; tags?: Record<string, string> } = {}): Promise<void> {
    const logs = await this.clients.logs(this.region);
    try {
      await logs.send(new CreateLogGroupCommand({
        logGroupName: name,
        ...(options.kmsKeyId === undefined ? {} : { kmsKeyId: options.kmsKeyId }),
        ...(options.tags === undefined || Object.keys(options.tags).length === 0 ? {} : { tags: options.tags }),
      }));
    } catch (error) {
      if (awsErrorCode(error) === 'ResourceAlreadyExistsException') return;
      throw mapAwsError(error, { action: 'logs:CreateLogGroup', resource: name });
    }
  }

  async putRetentionPolicy(name: string, days: number): Promise<void> {
    const logs = await this.clients.logs(this.region);
    await call('logs:PutRetentionPolicy', name, () => logs.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays: days })));
  }

  // --- IAM

  async role(name: string): Promise<{ arn: string; trust: string } | undefined> {
    const iam = await this.clients.iam();
    const out = await read('iam:GetRole', name, () => iam.send(new GetRoleCommand({ RoleName: name })), ['NoSuchEntity', 'NoSuchEntityException']);
    if (out?.Role === undefined) return undefined;
    return { arn: out.Role.Arn ?? '', trust: decodePolicy(out.Role.AssumeRolePolicyDocument) ?? '{}' };
  }

  async createRole(name: string, trust: string, tags: Record<string, string>): Promise<string> {
    const iam = await this.clients.iam();
    const out = await call('iam:CreateRole', name, () => iam.send(new CreateRoleCommand({
      RoleName: name,
      AssumeRolePolicyDocument: trust,
      Description: 'Lets CloudTrail deliver events to CloudWatch Logs',
      ...(Object.keys(tags).length === 0 ? {} : { Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }),
    })));
    return out.Role?.Arn ?? '';
  }

  async updateAssumeRolePolicy(name: string, trust: string): Promise<void> {
    const iam = await this.clients.iam();
    await call('iam:UpdateAssumeRolePolicy', name, () => iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: trust })));
  }

  async rolePolicy(roleName: string, policyName: string): Promise<string | undefined> {
    const iam = await this.clients.iam();
    const out = await read('iam:GetRolePolicy', `${roleName}/${policyName}`, () => iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })), ['NoSuchEntity', 'NoSuchEntityException']);
    return decodePolicy(out?.PolicyDocument);
  }

  async putRolePolicy(roleName: string, policyName: string, policy: string): Promise<void> {
    const iam = await this.clients.iam();
    await call('iam:PutRolePolicy', `${roleName}/${policyName}`, () => iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: policyName, PolicyDocument: policy })));
  }

  // --- CloudTrail

  /** One trail by name or ARN (GetTrail: moto's DescribeTrails ignores trailNameList). */
  async trail(name: string): Promise<TrailState | undefined> {
    const ct = await this.clients.cloudTrail(this.region);
    const out = await read('cloudtrail:GetTrail', name, () => ct.send(new GetTrailCommand({ Name: name })), ['TrailNotFoundException']);
    return out?.Trail === undefined ? undefined : trailState(out.Trail);
  }

  async createTrail(input: CreateTrailInput): Promise<TrailState> {
    const ct = await this.clients.cloudTrail(this.region);
    const out = await call('cloudtrail:CreateTrail', input.Name, () => ct.send(new CreateTrailCommand(input)));
    return trailState({ ...out, Name: out.Name ?? input.Name });
  }

  async updateTrail(input: Partial<CreateTrailInput> & { Name: string }): Promise<TrailState> {
    const ct = await this.clients.cloudTrail(this.region);
    const out = await call('cloudtrail:UpdateTrail', input.Name, () => ct.send(new UpdateTrailCommand(input)));
    return trailState({ ...out, Name: out.Name ?? input.Name });
  }

  async eventSelectors(name: string): Promise<{ basic?: BasicEventSelector[]; advanced?: AdvancedEventSelector[] }> {
    const ct = await this.clients.cloudTrail(this.region);
    const out = await call('cloudtrail:GetEventSelectors', name, () => ct.send(new GetEventSelectorsCommand({ TrailName: name })));
    const result: { basic?: BasicEventSelector[]; advanced?: AdvancedEventSelector[] } = {};
    if (out.EventSelectors !== undefined && out.EventSelectors.length > 0) result.basic = out.EventSelectors as BasicEventSelector[];
    if (out.AdvancedEventSelectors !== undefined && out.AdvancedEventSelectors.length > 0) result.advanced = out.AdvancedEventSelectors as AdvancedEventSelector[];
    return result;
  }

  async putEventSelectors(name: string, selectors: { basic?: BasicEventSelector[]; advanced?: AdvancedEventSelector[] }): Promise<void> {
    const ct = await this.clients.cloudTrail(this.region);
    await call('cloudtrail:PutEventSelectors', name, () => ct.send(new PutEventSelectorsCommand({
      TrailName: name,
      ...(selectors.advanced !== undefined
        ? { AdvancedEventSelectors: selectors.advanced as SdkAdvancedSelector[] }
        : { EventSelectors: (selectors.basic ?? []) as SdkEventSelector[] }),
    })));
  }

  async insightTypes(name: string): Promise<string[]> {
    const ct = await this.clients.cloudTrail(this.region);
    const out = await read('cloudtrail:GetInsightSelectors', name, () => ct.send(new GetInsightSelectorsCommand({ TrailName: name })), ['InsightNotEnabledException']);
    // moto appends on every PutInsightSelectors; AWS replaces. A set reads the same on both.
    return [...new Set((out?.InsightSelectors ?? []).map((s) => s.InsightType ?? '').filter((t) => t !== ''))];
  }

  async putInsightSelectors(name: string, types: readonly string[]): Promise<void> {
    const ct = await this.clients.cloudTrail(this.region);
    await call('cloudtrail:PutInsightSelectors', name, () => ct.send(new PutInsightSelectorsCommand({
      TrailName: name,
      InsightSelectors: types.map((t) => ({ InsightType: t as InsightType })),
    })));
  }

  async trailTags(arn: string): Promise<Record<string, string>> {
    const ct = await this.clients.cloudTrail(this.region);
    const out = await call('cloudtrail:ListTags', arn, () => ct.send(new ListTagsCommand({ ResourceIdList: [arn] })));
    const tags: Record<string, string> = {};
    for (const r of out.ResourceTagList ?? []) for (const t of r.TagsList ?? []) if (t.Key !== undefined) tags[t.Key] = t.Value ?? '';
    return tags;
  }

  async addTags(arn: string, tags: Record<string, string>): Promise<void> {
    const ct = await this.clients.cloudTrail(this.region);
    await call('cloudtrail:AddTags', arn, () => ct.send(new AddTagsCommand({ ResourceId: arn, TagsList: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) })));
  }

  async isLogging(name: string): Promise<boolean> {
    const ct = await this.clients.cloudTrail(this.region);
    const out = await call('cloudtrail:GetTrailStatus', name, () => ct.send(new GetTrailStatusCommand({ Name: name })));
    return out.IsLogging === true;
  }

  async startLogging(name: string): Promise<void> {
    const ct = await this.clients.cloudTrail(this.region);
    await call('cloudtrail:StartLogging', name, () => ct.send(new StartLoggingCommand({ Name: name })));
  }
}

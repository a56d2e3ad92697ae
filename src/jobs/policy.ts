/** The policy documents of a trail from plain values, checked: what `trailkit policy` prints. */
import { usageError } from '../core/errors.js';
import {
  accountIdProblem, bucketNameProblem, logGroupNameProblem, organizationIdProblem, requireValid, topicNameProblem, trailNameProblem,
} from '../core/names.js';
import {
  assumeRolePolicy, bucketPolicy, cloudWatchRolePolicy, kmsKeyPolicy, partitionOf, readerPolicy, snsTopicPolicy, type PolicyDocument,
} from '../core/policies.js';
import { regionProblem } from '../core/regions.js';
import { formatTrailArn, parseTrailArn, type TrailArn } from '../core/s3-layout.js';
import { POLICY_KINDS } from '../core/policy-kinds.js';

/** What a policy needs, as the `policy` command's flags name it; each kind uses some of it. */
export interface PolicyInput {
  bucket?: string;
  prefix?: string;
  accountId?: string;
  trailArn?: string;
  trailName?: string;
  region?: string;
  organizationId?: string;
  organization?: boolean;
  logGroupName?: string;
  topicArn?: string;
  topicName?: string;
  kmsKeyArn?: string;
  denyInsecureTransport?: boolean;
}

function need<T>(value: T | undefined, flag: string, kind: string): T {
  if (value === undefined) throw usageError(`policy ${kind} needs ${flag}`);
  return value;
}

function regionOf(flags: PolicyInput, kind: string): string {
  const region = need(flags.region, '--region', kind);
  const problem = regionProblem(region, true);
  if (problem !== undefined) throw usageError(`invalid --region ${JSON.stringify(region)}: ${problem}`);
  return region;
}

function trailOf(flags: PolicyInput, kind: string): TrailArn {
  if (flags.trailArn !== undefined) {
    const parsed = parseTrailArn(flags.trailArn);
    if (parsed === undefined) throw usageError(`invalid --trail-arn ${JSON.stringify(flags.trailArn)}: expected arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME`);
    requireValid('trail name in --trail-arn', parsed.name, trailNameProblem);
    return parsed;
  }
  if (flags.trailName === undefined) throw usageError(`policy ${kind} needs --trail-arn (or --trail-name with --account-id and --region)`);
  const region = regionOf(flags, kind);
  return {
    partition: partitionOf(region),
    region,
    account: requireValid('account id', need(flags.accountId, '--account-id', kind), accountIdProblem),
    name: requireValid('trail name', flags.trailName, trailNameProblem),
  };
}

function org(flags: PolicyInput): { organizationId?: string } {
  return flags.organizationId === undefined ? {} : { organizationId: requireValid('organization id', flags.organizationId, organizationIdProblem) };
}

export function policyDocument(kind: string, flags: PolicyInput): PolicyDocument {
  switch (kind) {
    case 'bucket': {
      const trail = trailOf(flags, kind);
      return bucketPolicy({
        bucket: requireValid('bucket name', need(flags.bucket, '--bucket', kind), bucketNameProblem),
        account: trail.account,
        trailArn: formatTrailArn(trail),
        partition: trail.partition,
        denyInsecureTransport: flags.denyInsecureTransport ?? true,
        ...(flags.prefix === undefined ? {} : { prefix: flags.prefix }),
        ...org(flags),
      });
    }
    case 'kms': {
      const trail = trailOf(flags, kind);
      return kmsKeyPolicy({ account: trail.account, trailArn: formatTrailArn(trail), partition: trail.partition });
    }
    case 'sns': {
      const trail = trailOf(flags, kind);
      let topicArn = flags.topicArn;
      if (topicArn === undefined) {
        const name = requireValid('SNS topic name', need(flags.topicName, '--topic-arn or --topic-name', kind), topicNameProblem);
        topicArn = `arn:${trail.partition}:sns:${trail.region}:${trail.account}:${name}`;
      } else if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/.test(topicArn)) {
        throw usageError(`invalid --topic-arn ${JSON.stringify(topicArn)}: expected arn:aws:sns:REGION:ACCOUNT:NAME`);
      }
      return snsTopicPolicy({ topicArn, trailArn: formatTrailArn(trail) });
    }
    case 'cloudwatch-role': {
      const trail = flags.trailArn === undefined ? undefined : trailOf(flags, kind);
      const region = trail?.region ?? regionOf(flags, kind);
      return cloudWatchRolePolicy({
        region,
        account: trail?.account ?? requireValid('account id', need(flags.accountId, '--account-id', kind), accountIdProblem),
        logGroup: requireValid('log group name', need(flags.logGroupName, '--log-group-name', kind), logGroupNameProblem),
        partition: trail?.partition ?? partitionOf(region),
        ...org(flags),
      });
    }
    case 'assume-role':
      return assumeRolePolicy(flags.trailArn === undefined && flags.trailName === undefined ? {} : { trailArn: formatTrailArn(trailOf(flags, kind)) });
    case 'reader':
      return readerPolicy({
        bucket: requireValid('bucket name', need(flags.bucket, '--bucket', kind), bucketNameProblem),
        ...(flags.organization === true || flags.organizationId !== undefined ? { organization: true } : {}),
        ...(flags.kmsKeyArn === undefined ? {} : { kmsKeyArn: flags.kmsKeyArn }),
        ...(flags.region === undefined ? {} : { partition: partitionOf(flags.region) }),
      });
    default:
      throw usageError(`unknown policy kind ${JSON.stringify(kind)}`, `kinds: ${POLICY_KINDS.join(', ')}`);
  }
}

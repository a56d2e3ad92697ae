/**
 * References to AWS resources as a user types them: a trail by name or ARN, a CloudWatch Logs
 * group by name or ARN. Pure parsing; the AWS calls that resolve them live in src/aws.
 */
import { usageError } from './errors.js';
import { parseTrailArn, type TrailArn } from './s3-layout.js';

export interface LogGroupRef {
  readonly name: string;
  /** From an ARN: the region the group lives in, which is the region to call. */
  readonly region?: string;
  readonly account?: string;
}

const LOG_GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;
const LOG_GROUP_ARN = /^arn:aws[a-z-]*:logs:([a-z0-9-]+):(\d{12}):log-group:([^:]+)(?::\*)?$/;

/**
 * `--log-group NAME` or `--log-group arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*]` (the form
 * `aws cloudtrail get-trail` prints as CloudWatchLogsLogGroupArn).
 */
export function parseLogGroupRef(value: string, flag = '--log-group'): LogGroupRef {
  if (value.startsWith('arn:')) {
    const m = LOG_GROUP_ARN.exec(value);
    if (m === null || !LOG_GROUP_NAME.test(m[3] as string)) {
      throw usageError(`${flag} '${value}': not a log group ARN`, 'expected arn:aws:logs:REGION:ACCOUNT:log-group:NAME (a trailing :* is fine)');
    }
    return { name: m[3] as string, region: m[1] as string, account: m[2] as string };
  }
  if (!LOG_GROUP_NAME.test(value)) throw usageError(`${flag} '${value}': not a log group name or ARN`, 'names use letters, digits and . - _ / #, e.g. aws-cloudtrail-logs-123456789012');
  return { name: value };
}

export type TrailRef = { readonly kind: 'arn'; readonly arn: string; readonly parsed: TrailArn } | { readonly kind: 'name'; readonly name: string };

const TRAIL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$/;

/** `--trail NAME|ARN`, checked before any call. */
export function parseTrailRef(value: string, flag = '--trail'): TrailRef {
  if (value.startsWith('arn:')) {
    const parsed = parseTrailArn(value);
    if (parsed === undefined) throw usageError(`${flag} '${value}': not a trail ARN`, 'expected arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME, or the trail\'s name');
    return { kind: 'arn', arn: value, parsed };
  }
  if (!TRAIL_NAME.test(value) || /[._-]{2}/.test(value)) {
    throw usageError(`${flag} '${value}': not a trail name or ARN`, 'trail names are 3-128 letters, digits, . _ and -, starting and ending with a letter or digit');
  }
  return { kind: 'name', name: value };
}

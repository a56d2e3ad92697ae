/**
 * Name rules of the resources `setup` creates (SPEC section 5 for trails; S3, CloudWatch Logs,
 * IAM, SNS and KMS rules from their API references). Each check returns the broken rule, or
 * undefined when the name is valid, so the CLI can report it in one line before any AWS call.
 */
import { usageError } from './errors.js';

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

export function trailNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 128) return `must be 3-128 characters long (it has ${name.length})`;
  if (!/^[A-Za-z0-9._-]+$/.test(name)) return 'may contain only letters, digits, periods (.), underscores (_) and hyphens (-)';
  if (!/^[A-Za-z0-9]/.test(name) || !/[A-Za-z0-9]$/.test(name)) return 'must start and end with a letter or digit';
  if (/[._-]{2}/.test(name)) return 'must not have adjacent periods, underscores or hyphens (such as "._", "-." or "..")';
  if (IPV4.test(name)) return 'must not be formatted as an IP address';
  return undefined;
}

export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return `must be 3-63 characters long (it has ${name.length})`;
  if (!/^[a-z0-9.-]+$/.test(name)) return 'may contain only lowercase letters, digits, periods (.) and hyphens (-)';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'must start and end with a lowercase letter or digit';
  if (name.includes('..')) return 'must not contain two adjacent periods';
  if (IPV4.test(name)) return 'must not be formatted as an IP address';
  for (const prefix of ['xn--', 'sthree-', 'amzn-s3-demo-']) if (name.startsWith(prefix)) return `must not start with the reserved prefix "${prefix}"`;
  for (const suffix of ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3']) if (name.endsWith(suffix)) return `must not end with the reserved suffix "${suffix}"`;
  return undefined;
}

export function logGroupNameProblem(name: string): string | undefined {
  if (name.length < 1 || name.length > 512) return `must be 1-512 characters long (it has ${name.length})`;
  if (!/^[A-Za-z0-9._/#-]+$/.test(name)) return 'may contain only letters, digits, and the characters . _ - / #';
  if (name.startsWith('aws/')) return 'must not start with "aws/", which AWS reserves for its services';
  return undefined;
}

export function roleNameProblem(name: string): string | undefined {
  if (name.length < 1 || name.length > 64) return `must be 1-64 characters long (it has ${name.length})`;
  if (!/^[\w+=,.@-]+$/.test(name)) return 'may contain only letters, digits and the characters + = , . @ _ -';
  return undefined;
}

export function policyNameProblem(name: string): string | undefined {
  if (name.length < 1 || name.length > 128) return `must be 1-128 characters long (it has ${name.length})`;
  if (!/^[\w+=,.@-]+$/.test(name)) return 'may contain only letters, digits and the characters + = , . @ _ -';
  return undefined;
}

export function topicNameProblem(name: string): string | undefined {
  if (name.length < 1 || name.length > 256) return `must be 1-256 characters long (it has ${name.length})`;
  if (!/^[A-Za-z0-9_-]+$/.test(name)) return 'may contain only letters, digits, underscores (_) and hyphens (-)';
  return undefined;
}

/** A KMS key given as a key ARN, alias ARN, alias name (`alias/x`) or key id. */
export function kmsKeyRefProblem(ref: string): string | undefined {
  if (/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key\/[A-Za-z0-9-]+|alias\/[A-Za-z0-9/_-]+)$/.test(ref)) return undefined;
  if (/^alias\/[A-Za-z0-9/_-]{1,250}$/.test(ref)) return ref.startsWith('alias/aws/') ? 'must not be an AWS managed alias (alias/aws/...): CloudTrail needs a customer managed key' : undefined;
  if (/^(mrk-)?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$|^mrk-[0-9a-f]{32}$/.test(ref)) return undefined;
  return 'must be a key ARN, an alias ARN, an alias name such as alias/cloudtrail, or a key id';
}

export function organizationIdProblem(id: string): string | undefined {
  return /^o-[a-z0-9]{10,32}$/.test(id) ? undefined : 'must look like o-exampleorgid (o- then 10-32 lowercase letters or digits)';
}

export function accountIdProblem(id: string): string | undefined {
  return /^\d{12}$/.test(id) ? undefined : 'must be 12 digits';
}

/** CloudWatch Logs retention values the API accepts. */
export const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

export function retentionProblem(days: number): string | undefined {
  return (RETENTION_DAYS as readonly number[]).includes(days) ? undefined : `must be one of ${RETENTION_DAYS.join(', ')}`;
}

/** Throws a one-line usage error when `problem` found one: `invalid trail name "x": must ...`. */
export function requireValid(what: string, value: string, problem: (value: string) => string | undefined): string {
  const reason = problem(value);
  if (reason !== undefined) throw usageError(`invalid ${what} ${JSON.stringify(value)}: ${reason}`);
  return value;
}

/** Key/value pairs into tags, checked: keys 1-128 characters, not `aws:`, values up to 256. */
export function checkTags(pairs: Iterable<readonly [string, string]>): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [key, value] of pairs) {
    if (key === '') throw usageError('invalid tag: the key must not be empty');
    if (key.length > 128) throw usageError(`invalid tag key ${JSON.stringify(key)}: at most 128 characters`);
    if (value.length > 256) throw usageError(`invalid tag value for ${JSON.stringify(key)}: at most 256 characters`);
    if (key.startsWith('aws:')) throw usageError(`invalid tag key ${JSON.stringify(key)}: the aws: prefix is reserved`);
    tags[key] = value;
  }
  return tags;
}

/** `k=v,k2=v2` (repeatable) into tags; keys 1-128 characters, values up to 256. */
export function parseTags(items: readonly string[]): Record<string, string> {
  const pairs: [string, string][] = [];
  for (const item of items) {
    for (const pair of item.split(',')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      if (eq < 1) throw usageError(`invalid tag ${JSON.stringify(pair)}: expected KEY=VALUE`);
      pairs.push([pair.slice(0, eq), pair.slice(eq + 1)]);
    }
  }
  return checkTags(pairs);
}

/**
 * What an `update-trail` would change: the settings given that differ from the trail as it is,
 * so the command can say what it changed, or "unchanged" without calling UpdateTrail.
 */
import type { CreateTrailInput, TrailState } from './setup-plan.js';

export interface TrailSettingChange {
  /** The UpdateTrail parameter, e.g. `IsMultiRegionTrail`. */
  readonly setting: keyof CreateTrailInput;
  readonly from: string | boolean | undefined;
  readonly to: string | boolean;
}

/** `arn:...:log-group:NAME:*` and `arn:...:log-group:NAME` name the same group. */
function logGroupArnKey(arn: string | undefined): string | undefined {
  return arn?.replace(/:\*$/, '');
}

/** A topic given by name or ARN is the same as the trail's when its name matches. */
function sameTopic(given: string, current: string | undefined): boolean {
  if (current === undefined) return false;
  const name = (s: string) => (s.startsWith('arn:') ? s.slice(s.lastIndexOf(':') + 1) : s);
  return name(given) === name(current);
}

/**
 * A key given as an ARN or a key id is the same as the trail's key ARN when it is that ARN or its
 * `key/ID` ending; an alias is compared through `resolvedKmsArn` (what DescribeKey returned for
 * it), and counts as a change when that is unknown.
 */
function sameKey(given: string, current: string | undefined, resolvedKmsArn: string | undefined): boolean {
  if (current === undefined) return false;
  if (given === current || current.endsWith(`:key/${given}`)) return true;
  return resolvedKmsArn !== undefined && resolvedKmsArn === current;
}

export function trailChanges(current: TrailState, input: Partial<CreateTrailInput>, resolvedKmsArn?: string): TrailSettingChange[] {
  const out: TrailSettingChange[] = [];
  const add = (setting: keyof CreateTrailInput, from: string | boolean | undefined, to: string | boolean) => out.push({ setting, from, to });
  if (input.S3BucketName !== undefined && input.S3BucketName !== current.s3BucketName) add('S3BucketName', current.s3BucketName, input.S3BucketName);
  if (input.S3KeyPrefix !== undefined && input.S3KeyPrefix !== (current.s3KeyPrefix ?? '')) add('S3KeyPrefix', current.s3KeyPrefix, input.S3KeyPrefix);
  if (input.SnsTopicName !== undefined && !sameTopic(input.SnsTopicName, current.snsTopicName)) add('SnsTopicName', current.snsTopicName, input.SnsTopicName);
  const flags: [keyof CreateTrailInput, boolean | undefined, boolean | undefined][] = [
    ['IncludeGlobalServiceEvents', input.IncludeGlobalServiceEvents, current.includeGlobalServiceEvents],
    ['IsMultiRegionTrail', input.IsMultiRegionTrail, current.isMultiRegionTrail],
    ['EnableLogFileValidation', input.EnableLogFileValidation, current.logFileValidationEnabled],
    ['IsOrganizationTrail', input.IsOrganizationTrail, current.isOrganizationTrail],
  ];
  for (const [setting, wanted, now] of flags) if (wanted !== undefined && wanted !== (now ?? false)) add(setting, now ?? false, wanted);
  if (input.CloudWatchLogsLogGroupArn !== undefined && logGroupArnKey(input.CloudWatchLogsLogGroupArn) !== logGroupArnKey(current.cloudWatchLogsLogGroupArn)) {
    add('CloudWatchLogsLogGroupArn', current.cloudWatchLogsLogGroupArn, input.CloudWatchLogsLogGroupArn);
  }
  if (input.CloudWatchLogsRoleArn !== undefined && input.CloudWatchLogsRoleArn !== current.cloudWatchLogsRoleArn) add('CloudWatchLogsRoleArn', current.cloudWatchLogsRoleArn, input.CloudWatchLogsRoleArn);
  if (input.KmsKeyId !== undefined && !sameKey(input.KmsKeyId, current.kmsKeyId, resolvedKmsArn)) add('KmsKeyId', current.kmsKeyId, input.KmsKeyId);
  return out;
}

/** `IsMultiRegionTrail false -> true, S3KeyPrefix (none) -> logs` */
export function describeChanges(changes: readonly TrailSettingChange[]): string {
  const show = (v: string | boolean | undefined) => (v === undefined || v === '' ? '(none)' : String(v));
  return changes.map((c) => `${c.setting} ${show(c.from)} -> ${show(c.to)}`).join(', ');
}

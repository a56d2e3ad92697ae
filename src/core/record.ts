/**
 * A CloudTrail record as parsed from JSON. Any field may be missing or null and unknown fields
 * pass through untouched (SPEC section 3), so it is an open object read through the accessors
 * below rather than a closed interface.
 */
export type CloudTrailRecord = Record<string, unknown>;

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string field, or undefined when missing, null or of another type. */
export function stringField(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' ? value : undefined;
}

/** Follows a dotted path (`userIdentity.sessionContext.sessionIssuer.userName`). */
export function fieldAt(record: unknown, path: string): unknown {
  let current: unknown = record;
  for (const part of path.split('.')) {
    if (Array.isArray(current) && /^\d+$/.test(part)) current = current[Number(part)];
    else if (isObject(current)) current = current[part];
    else return undefined;
  }
  return current;
}

/** Whether a parsed record is a CloudTrail event rather than some other JSON. */
export function cloudTrailShape(record: unknown): 'cloudtrail' | 'notification' | 'other' {
  if (!isObject(record)) return 'other';
  const source = record['eventSource'];
  // Lambda-style event notifications (S3, SNS, SQS, DynamoDB streams) name their source "aws:x".
  if (typeof source === 'string' && source.startsWith('aws:')) return 'notification';
  if (typeof source === 'string' || 'eventName' in record || 'eventTime' in record || 'userIdentity' in record || 'eventID' in record) {
    return 'cloudtrail';
  }
  return 'other';
}

/** `readOnly` is a boolean in delivery files and a string in some exports. */
export function readOnlyOf(record: CloudTrailRecord): boolean | undefined {
  const value = record['readOnly'];
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return undefined;
}

/**
 * Where a record was read from, for what the record does not say itself: the account a delivery
 * file belongs to (from its name, `ACCOUNT_CloudTrail_...`, or its folder, `AWSLogs/[o-id/]ACCOUNT/CloudTrail/`).
 */
export interface RecordContext {
  readonly deliveryAccount?: string;
}

const DELIVERY_NAME = /(?:^|[/\\])(\d{12})_CloudTrail(?:-Insight)?_[^/\\]*$/;
const DELIVERY_FOLDER = /(?:^|\/)AWSLogs\/(?:o-[a-z0-9]{10,32}\/)?(\d{12})\/CloudTrail(?:-Insight)?\//;

/** The account of the delivery file at `path` (a file path or an S3 URL), when its name or folders say it. */
export function deliveryAccountOf(path: string): string | undefined {
  return DELIVERY_NAME.exec(path)?.[1] ?? DELIVERY_FOLDER.exec(path.replace(/\\/g, '/'))?.[1];
}

/**
 * The account an event was recorded in, as `--account` means it: `recipientAccountId` ("the
 * account ID that received this event"; CloudTrail writes it since event version 1.02). Older
 * events lack it; for them the account whose trail delivered the file is the recipient (events
 * went to more than one account only from version 1.03, with sharedEventID), so the delivery
 * file's account stands in. `userIdentity.accountId` never does: in a cross-account call it is
 * the caller's account, not the one the event was recorded in.
 */
export function recordedAccountOf(record: CloudTrailRecord, context: RecordContext = {}): string | undefined {
  return stringField(record, 'recipientAccountId') ?? context.deliveryAccount;
}

/** The account column of the human-readable outputs: recipientAccountId, else the caller's account. */
export function accountOf(record: CloudTrailRecord): string | undefined {
  const recipient = stringField(record, 'recipientAccountId');
  if (recipient !== undefined) return recipient;
  const identity = record['userIdentity'];
  return isObject(identity) ? stringField(identity, 'accountId') : undefined;
}

/** A short name for who made the call, for one-line output. */
export function principalOf(record: CloudTrailRecord): string | undefined {
  const identity = record['userIdentity'];
  if (!isObject(identity)) return undefined;
  const type = stringField(identity, 'type');
  const issuer = fieldAt(identity, 'sessionContext.sessionIssuer.userName');
  const arn = stringField(identity, 'arn');
  if (type === 'Root') return 'root';
  if (type === 'AssumedRole' && arn !== undefined) {
    // arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION -> ROLE/SESSION
    const slash = arn.indexOf('assumed-role/');
    if (slash >= 0) return arn.slice(slash + 'assumed-role/'.length);
  }
  if (typeof issuer === 'string') return issuer;
  const userName = stringField(identity, 'userName');
  if (userName !== undefined) return userName;
  const invokedBy = stringField(identity, 'invokedBy');
  if (invokedBy !== undefined) return invokedBy;
  if (arn !== undefined) return arn;
  return stringField(identity, 'principalId') ?? type;
}

/** The strings `--user` matches against. */
export function principalStrings(record: CloudTrailRecord): string[] {
  const identity = record['userIdentity'];
  if (!isObject(identity)) return [];
  const out: string[] = [];
  for (const path of ['arn', 'userName', 'principalId', 'invokedBy', 'sessionContext.sessionIssuer.userName', 'sessionContext.sessionIssuer.arn']) {
    const value = fieldAt(identity, path);
    if (typeof value === 'string') out.push(value);
  }
  return out;
}

import { statementDenies, statementGrants, type PolicyRequest } from './policy-grants.js';

/**
 * The policy documents a trail needs, exactly as the CloudTrail user guide gives them (SPEC
 * section 4), and a merge that adds them to an existing policy without touching what others wrote.
 */

export type PolicyStatement = Record<string, unknown> & { Sid?: string };

export interface PolicyDocument {
  Version: '2012-10-17';
  Id?: string;
  Statement: PolicyStatement[];
}

export const CLOUDTRAIL_PRINCIPAL = 'cloudtrail.amazonaws.com';
export const ACL_CHECK_SID = 'AWSCloudTrailAclCheck20150319';
export const WRITE_SID = 'AWSCloudTrailWrite20150319';
export const ORG_WRITE_SID = 'AWSCloudTrailOrganizationWrite20150319';
export const DENY_INSECURE_TRANSPORT_SID = 'TrailkitDenyInsecureTransport';
export const SNS_SID = 'AWSCloudTrailSNSPolicy20150319';
export const KMS_ROOT_SID = 'Enable IAM User Permissions';
export const KMS_ENCRYPT_SID = 'Allow CloudTrail to encrypt logs';
export const KMS_DESCRIBE_SID = 'Allow CloudTrail to describe key';
export const KMS_DECRYPT_SID = 'Allow principals in the account to decrypt log files';
export const TRUST_SID = 'TrailkitCloudTrailAssumeRole';

/** The partition of a region: aws, aws-cn or aws-us-gov. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  return 'aws';
}

function document(statements: PolicyStatement[], id?: string): PolicyDocument {
  return id === undefined ? { Version: '2012-10-17', Statement: statements } : { Version: '2012-10-17', Id: id, Statement: statements };
}

/** `[prefix/]` with no leading or trailing slashes doubled. */
function prefixPath(prefix: string | undefined): string {
  const p = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  return p === '' ? '' : `${p}/`;
}

export interface BucketPolicyInput {
  bucket: string;
  prefix?: string;
  account: string;
  trailArn: string;
  organizationId?: string;
  partition?: string;
  /** Deny every request not made over TLS (good practice, on by default). */
  denyInsecureTransport?: boolean;
}

export function bucketPolicy(input: BucketPolicyInput): PolicyDocument {
  const p = input.partition ?? 'aws';
  const bucketArn = `arn:${p}:s3:::${input.bucket}`;
  const logs = `${bucketArn}/${prefixPath(input.prefix)}AWSLogs`;
  const writeCondition = { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': input.trailArn } };
  const statements: PolicyStatement[] = [
    {
      Sid: ACL_CHECK_SID,
      Effect: 'Allow',
      Principal: { Service: CLOUDTRAIL_PRINCIPAL },
      Action: 's3:GetBucketAcl',
      Resource: bucketArn,
      Condition: { StringEquals: { 'aws:SourceArn': input.trailArn } },
    },
    {
      Sid: WRITE_SID,
      Effect: 'Allow',
      Principal: { Service: CLOUDTRAIL_PRINCIPAL },
      Action: 's3:PutObject',
      Resource: `${logs}/${input.account}/*`,
      Condition: writeCondition,
    },
  ];
  if (input.organizationId !== undefined) {
    statements.push({
      Sid: ORG_WRITE_SID,
      Effect: 'Allow',
      Principal: { Service: CLOUDTRAIL_PRINCIPAL },
      Action: 's3:PutObject',
      Resource: `${logs}/${input.organizationId}/*`,
      Condition: writeCondition,
    });
  }
  if (input.denyInsecureTransport !== false) {
    statements.push({
      Sid: DENY_INSECURE_TRANSPORT_SID,
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: [bucketArn, `${bucketArn}/*`],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
  }
  return document(statements);
}

export interface KmsPolicyInput {
  account: string;
  trailArn: string;
  partition?: string;
  /** The trail's log group (without `:*`), when it is to be encrypted with the same key. */
  logGroupArn?: string;
  region?: string;
}

export const KMS_LOGS_SID = 'Allow CloudWatch Logs to use the key';

/** The key policy of a trail's key; the first statement keeps the account in control of the key. */
export function kmsKeyPolicy(input: KmsPolicyInput): PolicyDocument {
  const p = input.partition ?? 'aws';
  return document([
    { Sid: KMS_ROOT_SID, Effect: 'Allow', Principal: { AWS: `arn:${p}:iam::${input.account}:root` }, Action: 'kms:*', Resource: '*' },
    {
      Sid: KMS_ENCRYPT_SID,
      Effect: 'Allow',
      Principal: { Service: CLOUDTRAIL_PRINCIPAL },
      Action: 'kms:GenerateDataKey*',
      Resource: '*',
      Condition: {
        StringEquals: { 'aws:SourceArn': input.trailArn },
        StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${p}:cloudtrail:*:${input.account}:trail/*` },
      },
    },
    { Sid: KMS_DESCRIBE_SID, Effect: 'Allow', Principal: { Service: CLOUDTRAIL_PRINCIPAL }, Action: 'kms:DescribeKey', Resource: '*' },
    {
      Sid: KMS_DECRYPT_SID,
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: ['kms:Decrypt', 'kms:ReEncryptFrom'],
      Resource: '*',
      Condition: {
        StringEquals: { 'kms:CallerAccount': input.account },
        Null: { 'kms:EncryptionContext:aws:cloudtrail:arn': 'false' },
      },
    },
    // CloudWatch Logs encrypts the trail's log group with the same key ("Encrypt log data in
    // CloudWatch Logs using AWS KMS": the regional logs service principal, limited by the log
    // group's ARN in the encryption context).
    ...(input.logGroupArn === undefined || input.region === undefined ? [] : [{
      Sid: KMS_LOGS_SID,
      Effect: 'Allow',
      Principal: { Service: `logs.${input.region}.amazonaws.com` },
      Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      Resource: '*',
      Condition: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': input.logGroupArn } },
    }]),
  ], 'Key policy created by trailkit');
}

export function snsTopicPolicy(input: { topicArn: string; trailArn: string }): PolicyDocument {
  return document([{
    Sid: SNS_SID,
    Effect: 'Allow',
    Principal: { Service: CLOUDTRAIL_PRINCIPAL },
    Action: 'SNS:Publish',
    Resource: input.topicArn,
    Condition: { StringEquals: { 'aws:SourceArn': input.trailArn } },
  }]);
}

export interface CloudWatchRolePolicyInput {
  region: string;
  account: string;
  logGroup: string;
  organizationId?: string;
  partition?: string;
}

/** Permissions of the role CloudTrail assumes to write to CloudWatch Logs: only its own streams. */
export function cloudWatchRolePolicy(input: CloudWatchRolePolicyInput): PolicyDocument {
  const p = input.partition ?? 'aws';
  const group = `arn:${p}:logs:${input.region}:${input.account}:log-group:${input.logGroup}`;
  const streams = [`${group}:log-stream:${input.account}_CloudTrail_${input.region}*`];
  if (input.organizationId !== undefined) streams.push(`${group}:log-stream:${input.organizationId}_*`);
  return document([
    { Sid: 'AWSCloudTrailCreateLogStream20141101', Effect: 'Allow', Action: ['logs:CreateLogStream'], Resource: streams },
    { Sid: 'AWSCloudTrailPutLogEvents20141101', Effect: 'Allow', Action: ['logs:PutLogEvents'], Resource: [...streams] },
  ]);
}

/** The trust policy of that role; with a trail ARN only that trail may use it. */
export function assumeRolePolicy(input: { trailArn?: string } = {}): PolicyDocument {
  const statement: PolicyStatement = { Effect: 'Allow', Principal: { Service: CLOUDTRAIL_PRINCIPAL }, Action: 'sts:AssumeRole' };
  if (input.trailArn !== undefined) statement['Condition'] = { StringEquals: { 'aws:SourceArn': input.trailArn } };
  return document([statement]);
}

export interface ReaderPolicyInput {
  bucket: string;
  organization?: boolean;
  kmsKeyArn?: string;
  partition?: string;
}

/** What a log consumer (a SIEM forwarder) needs to read a trail's logs. */
export function readerPolicy(input: ReaderPolicyInput): PolicyDocument {
  const p = input.partition ?? 'aws';
  const bucketArn = `arn:${p}:s3:::${input.bucket}`;
  const statements: PolicyStatement[] = [
    { Sid: 'TrailkitReadTrails', Effect: 'Allow', Action: ['cloudtrail:DescribeTrails', 'cloudtrail:GetTrailStatus'], Resource: '*' },
    { Sid: 'TrailkitListTrailBucket', Effect: 'Allow', Action: ['s3:ListBucket', 's3:GetBucketLocation'], Resource: bucketArn },
    { Sid: 'TrailkitReadTrailObjects', Effect: 'Allow', Action: 's3:GetObject', Resource: `${bucketArn}/*` },
  ];
  if (input.organization === true) statements.push({ Sid: 'TrailkitDescribeOrganization', Effect: 'Allow', Action: 'organizations:DescribeOrganization', Resource: '*' });
  if (input.kmsKeyArn !== undefined) statements.push({ Sid: 'TrailkitDecryptTrailLogs', Effect: 'Allow', Action: 'kms:Decrypt', Resource: input.kmsKeyArn });
  return document(statements);
}

export function formatPolicy(doc: PolicyDocument): string {
  return JSON.stringify(doc, null, 2);
}

// ---------------------------------------------------------------------------------------------
// Comparing and merging

/**
 * A value in a canonical form for comparison: object keys sorted, lists as sets, and a
 * one-element list the same as its element (IAM, S3 and KMS return `["x"]` and `"x"` either way).
 */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(canonical);
    if (items.length === 1) return items[0];
    return items.map((i) => JSON.stringify(i)).sort().map((s) => JSON.parse(s) as unknown);
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = canonical((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

export function equivalent(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

export type ChangeAction = 'create' | 'update' | 'unchanged';

export interface StatementChange {
  sid: string;
  action: ChangeAction;
}

export interface MergeResult {
  /** The document text to write (the existing text, untouched, when nothing changes). */
  text: string;
  action: ChangeAction;
  statements: StatementChange[];
}

export interface MergeOptions {
  /** Sids written only when absent; an existing statement with that Sid is left as it is. */
  onlyIfAbsent?: ReadonlySet<string>;
  /** Combines an existing statement with the desired one of the same Sid (e.g. union of trail ARNs). */
  combine?: (existing: PolicyStatement, desired: PolicyStatement) => PolicyStatement;
}

interface Span { start: number; end: number }

function skipSpace(text: string, i: number): number {
  while (i < text.length && /\s/.test(text[i] as string)) i++;
  return i;
}

function skipString(text: string, i: number): number {
  // text[i] is the opening quote
  i++;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') i += 2;
    else if (c === '"') return i + 1;
    else i++;
  }
  return i;
}

/** The end of the JSON value that starts at `i` (text is known to be valid JSON). */
function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return skipString(text, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    while (i < text.length) {
      const ch = text[i];
      if (ch === '"') { i = skipString(text, i); continue; }
      if (ch === '{' || ch === '[') depth++;
      else if (ch === '}' || ch === ']') {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return i;
  }
  while (i < text.length && !/[\s,}\]]/.test(text[i] as string)) i++;
  return i;
}

/** The spans of the `Statement` value and of each statement in it, in the original text. */
function statementSpans(text: string): { value: Span; isArray: boolean; items: Span[] } | undefined {
  let i = skipSpace(text, 0);
  if (text[i] !== '{') return undefined;
  i++;
  for (;;) {
    i = skipSpace(text, i);
    if (text[i] === '}') return undefined;
    if (text[i] === ',') { i++; continue; }
    const keyEnd = skipString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipSpace(text, keyEnd) + 1; // past ':'
    i = skipSpace(text, i);
    const end = skipValue(text, i);
    if (key === 'Statement') {
      if (text[i] !== '[') return { value: { start: i, end }, isArray: false, items: [{ start: i, end }] };
      const items: Span[] = [];
      let j = i + 1;
      for (;;) {
        j = skipSpace(text, j);
        if (text[j] === ']') break;
        if (text[j] === ',') { j++; continue; }
        const itemEnd = skipValue(text, j);
        items.push({ start: j, end: itemEnd });
        j = itemEnd;
      }
      return { value: { start: i, end }, isArray: true, items };
    }
    i = end;
  }
}

/**
 * Adds `desired` statements to an existing policy by Sid. A statement with a Sid that is not in
 * `desired` keeps its exact text (bytes, order, spacing); a desired statement replaces the one
 * with its Sid only when they differ in meaning; new ones are appended at the end.
 */
export function mergeBySid(existingText: string | undefined, desired: PolicyDocument, options: MergeOptions = {}): MergeResult {
  if (existingText === undefined || existingText.trim() === '') {
    return { text: formatPolicy(desired), action: 'create', statements: desired.Statement.map((s) => ({ sid: s.Sid ?? '', action: 'create' })) };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(existingText);
  } catch {
    throw new Error('the existing policy is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the existing policy is not a JSON object');
  const spans = statementSpans(existingText);
  if (spans === undefined) {
    // No Statement at all: write ours, keeping the other top-level members.
    const doc = { ...(parsed as Record<string, unknown>), Statement: desired.Statement };
    return { text: JSON.stringify(doc, null, 2), action: 'update', statements: desired.Statement.map((s) => ({ sid: s.Sid ?? '', action: 'create' })) };
  }
  const existing = spans.items.map((span) => JSON.parse(existingText.slice(span.start, span.end)) as PolicyStatement);
  const replacements = new Map<number, string>();
  const appended: string[] = [];
  const changes: StatementChange[] = [];
  for (const statement of desired.Statement) {
    const sid = statement.Sid ?? '';
    const index = existing.findIndex((e) => e !== null && typeof e === 'object' && e.Sid === sid && sid !== '');
    if (index < 0) {
      appended.push(JSON.stringify(statement));
      changes.push({ sid, action: 'create' });
      continue;
    }
    const current = existing[index] as PolicyStatement;
    if (options.onlyIfAbsent?.has(sid) === true) {
      changes.push({ sid, action: 'unchanged' });
      continue;
    }
    const wanted = options.combine === undefined ? statement : options.combine(current, statement);
    if (equivalent(current, wanted)) {
      changes.push({ sid, action: 'unchanged' });
    } else {
      replacements.set(index, JSON.stringify(wanted));
      changes.push({ sid, action: 'update' });
    }
  }
  if (replacements.size === 0 && appended.length === 0) return { text: existingText, action: 'unchanged', statements: changes };

  let value: string;
  if (spans.isArray) {
    const { start, end } = spans.value;
    let out = existingText.slice(start, end);
    // Splice from the last item back so earlier offsets stay valid.
    const offset = start;
    if (appended.length > 0) {
      const close = out.lastIndexOf(']');
      const sep = spans.items.length === 0 ? '' : ',';
      out = `${out.slice(0, close)}${sep}${appended.join(',')}${out.slice(close)}`;
    }
    for (let k = spans.items.length - 1; k >= 0; k--) {
      const text = replacements.get(k);
      const span = spans.items[k] as Span;
      if (text !== undefined) out = `${out.slice(0, span.start - offset)}${text}${out.slice(span.end - offset)}`;
    }
    value = out;
  } else {
    const only = spans.items[0] as Span;
    const first = replacements.get(0) ?? existingText.slice(only.start, only.end);
    value = `[${[first, ...appended].join(',')}]`;
  }
  const text = `${existingText.slice(0, spans.value.start)}${value}${existingText.slice(spans.value.end)}`;
  return { text, action: 'update', statements: changes };
}

function asList(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function union(a: unknown, b: unknown): unknown {
  const out = [...asList(a)];
  for (const item of asList(b)) if (!out.some((o) => equivalent(o, item))) out.push(item);
  return out.length === 1 ? out[0] : out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** One condition key in a statement's Condition block, as written there. */
interface ConditionEntry {
  operator: string;
  /** The key as spelled in the policy (condition keys are case-insensitive in IAM). */
  key: string;
  values: unknown[];
}

/** Every entry for `key` in a Condition block, under any operator, matched case-insensitively. */
export function conditionEntries(condition: unknown, key: string): ConditionEntry[] {
  if (!isRecord(condition)) return [];
  const wanted = key.toLowerCase();
  const out: ConditionEntry[] = [];
  for (const [operator, block] of Object.entries(condition)) {
    if (!isRecord(block)) continue;
    for (const [k, v] of Object.entries(block)) if (k.toLowerCase() === wanted) out.push({ operator, key: k, values: asList(v) });
  }
  return out;
}

type AllowKind = 'equals' | 'equals-ignore-case' | 'string-like' | 'arn-like';

/**
 * The positive string and ARN operators: their values list what is let through, so adding a
 * value lets one more through. Others (Not*, Bool, Null, Numeric, Date, IpAddress) give undefined.
 */
function allowKind(operator: string): AllowKind | undefined {
  const base = operator.replace(/^(ForAnyValue|ForAllValues):/i, '').replace(/IfExists$/i, '').toLowerCase();
  if (base === 'stringequals') return 'equals';
  if (base === 'stringequalsignorecase') return 'equals-ignore-case';
  if (base === 'stringlike') return 'string-like';
  if (base === 'arnlike' || base === 'arnequals') return 'arn-like';
  return undefined;
}

function wildcardMatch(pattern: string, value: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 's').test(value);
}

/** An ARN's six colon-separated parts (the resource part may itself hold colons). */
function arnParts(arn: string): string[] {
  const parts = arn.split(':');
  return parts.length <= 6 ? parts : [...parts.slice(0, 5), parts.slice(5).join(':')];
}

/** Whether a condition value under `operator` lets `value` through. */
function conditionValueAllows(operator: string, pattern: unknown, value: string): boolean {
  if (typeof pattern !== 'string') return false;
  switch (allowKind(operator)) {
    case 'equals': return pattern === value;
    case 'equals-ignore-case': return pattern.toLowerCase() === value.toLowerCase();
    case 'string-like': return wildcardMatch(pattern, value);
    case 'arn-like': {
      // ArnLike/ArnEquals match each of the six parts separately; a wildcard does not cross a colon.
      const p = arnParts(pattern);
      const v = arnParts(value);
      return p.length === v.length && p.every((part, i) => wildcardMatch(part, v[i] as string));
    }
    default: return false;
  }
}

/**
 * Whether a Condition lets `value` of `key` through, as far as that key goes: true when no
 * entry names the key, else every entry (they are ANDed) must allow it.
 */
export function conditionAllows(condition: unknown, key: string, value: string): boolean {
  return conditionEntries(condition, key).every((e) => e.values.some((v) => conditionValueAllows(e.operator, v, value)));
}

const hasWildcard = (value: string) => /[*?]/.test(value);

/**
 * An existing statement's Condition widened so that it also lets through what `desired` asks
 * for, and never narrowed: no Condition stays none, a key the existing Condition does not test
 * is not added, and a value already let through (equal, or matched by a wildcard) is not added
 * again. Otherwise the value joins that key's list, under the operator and spelling found there.
 */
function widenCondition(existing: unknown, desired: unknown): unknown {
  if (!isRecord(existing)) return existing;
  const out = structuredClone(existing) as Record<string, Record<string, unknown>>;
  if (!isRecord(desired)) return out;
  for (const [operator, block] of Object.entries(desired)) {
    // Only what a positive string or ARN test asks for is a value to let through (not Null, Bool).
    if (!isRecord(block) || allowKind(operator) === undefined) continue;
    for (const [key, value] of Object.entries(block)) {
      for (const wanted of asList(value)) {
        if (typeof wanted !== 'string') continue;
        for (const entry of conditionEntries(out, key)) {
          if (entry.values.some((v) => conditionValueAllows(entry.operator, v, wanted))) continue;
          const kind = allowKind(entry.operator);
          if (kind === undefined) continue; // a negative or non-string test: left as it is
          const holder = out[entry.operator] as Record<string, unknown>;
          const movable = hasWildcard(wanted) && (kind === 'equals' || kind === 'equals-ignore-case')
            && allowKind(operator) !== undefined && allowKind(operator) !== kind && conditionEntries({ [operator]: out[operator] }, key).length === 0;
          if (movable) {
            // A pattern under an exact-match operator would be taken literally: move the key to the
            // pattern's operator (for exact ARNs a Like test is the same test).
            delete holder[entry.key];
            if (Object.keys(holder).length === 0) delete out[entry.operator];
            const target = (out[operator] ??= {});
            target[entry.key] = union(entry.values, wanted);
            continue;
          }
          holder[entry.key] = union(holder[entry.key], wanted);
        }
      }
    }
  }
  return out;
}

/**
 * For a bucket, key, topic or role shared by several trails: our statement with the existing
 * one's resources kept and its Condition widened, never narrowed, to let this trail through.
 * An existing statement with no `aws:SourceArn` (the older user-guide policies), or one whose
 * SourceArn pattern already covers this trail, keeps its Condition as it is; otherwise this
 * trail's ARN joins the other trails' (the key is read case-insensitively, under any operator).
 */
export function unionTrailStatements(existing: PolicyStatement, desired: PolicyStatement): PolicyStatement {
  const out: PolicyStatement = structuredClone(desired);
  if (existing['Effect'] !== 'Allow' || desired['Effect'] !== 'Allow') return out;
  const condition = widenCondition(existing['Condition'], desired['Condition']);
  if (condition === undefined) delete out['Condition'];
  else out['Condition'] = condition;
  if (existing['Resource'] !== undefined && out['Resource'] !== undefined) {
    out['Resource'] = union(existing['Resource'], out['Resource']);
  }
  return out;
}

/** The Sids of the statements setup writes into a bucket policy (its own, not AWS's documented ones). */
export const SETUP_ACL_CHECK_SID = 'TrailkitCloudTrailAclCheck';
export const SETUP_WRITE_SID = 'TrailkitCloudTrailWrite';
export const SETUP_ORG_WRITE_SID = 'TrailkitCloudTrailOrganizationWrite';

export interface BucketMergeResult extends MergeResult {
  /** The statements added or widened, as written. */
  written: PolicyStatement[];
  /** What the plan should say besides: statements kept because they already grant, a Deny in the way. */
  notes: string[];
}

/** A statement with its trail-specific parts (aws:SourceArn values, resources) taken out, to recognise what setup wrote. */
function shapeOf(statement: PolicyStatement): unknown {
  const copy = structuredClone(statement) as Record<string, unknown>;
  delete copy['Resource'];
  delete copy['Sid'];
  const condition = copy['Condition'];
  if (isRecord(condition)) {
    for (const [operator, block] of Object.entries(condition)) {
      if (!isRecord(block)) continue;
      for (const key of Object.keys(block)) if (key.toLowerCase() === 'aws:sourcearn') delete block[key];
      if (Object.keys(block).length === 0) delete condition[operator];
    }
  }
  return copy;
}

function sameShape(a: PolicyStatement, b: PolicyStatement): boolean {
  return equivalent(shapeOf(a), shapeOf(b));
}

/**
 * Merges what a trail needs into a bucket's policy by meaning (SPEC 4). A statement setup did not
 * write is never modified or removed, whatever its Sid: when some statement already grants
 * CloudTrail a request (GetBucketAcl, PutObject under the trail's folder, for this trail's
 * aws:SourceArn), nothing is added for it; otherwise setup adds its own statement under its own Sid,
 * or widens the one it wrote before (recognised by Sid and shape) to let this trail in too. The
 * deny-insecure-transport statement is added only when no Deny already refuses non-TLS requests,
 * so a stricter rule of the user's stays as it is, and a Deny is never edited.
 */
export function mergeBucketPolicy(existingText: string | undefined, input: BucketPolicyInput): BucketMergeResult {
  const p = input.partition ?? 'aws';
  const bucketArn = `arn:${p}:s3:::${input.bucket}`;
  const logs = `${bucketArn}/${prefixPath(input.prefix)}AWSLogs`;
  const desired = bucketPolicy(input).Statement.map((st) => {
    const sid = st.Sid === ACL_CHECK_SID ? SETUP_ACL_CHECK_SID : st.Sid === WRITE_SID ? SETUP_WRITE_SID : st.Sid === ORG_WRITE_SID ? SETUP_ORG_WRITE_SID : st.Sid;
    return { ...st, Sid: sid };
  });
  const context = { 'aws:sourcearn': input.trailArn, 'aws:sourceaccount': input.account, 'aws:securetransport': 'true', 's3:x-amz-acl': 'bucket-owner-full-control' };
  const asCloudTrail = (action: string, resource: string): PolicyRequest => ({ principalService: CLOUDTRAIL_PRINCIPAL, action, resource, context });
  const needs: Record<string, PolicyRequest[]> = {
    [SETUP_ACL_CHECK_SID]: [asCloudTrail('s3:GetBucketAcl', bucketArn)],
    [SETUP_WRITE_SID]: [asCloudTrail('s3:PutObject', `${logs}/${input.account}/CloudTrail/${input.account}_CloudTrail.json.gz`)],
    [SETUP_ORG_WRITE_SID]: [asCloudTrail('s3:PutObject', `${logs}/${input.organizationId ?? 'o-'}/${input.account}/CloudTrail/${input.account}_CloudTrail.json.gz`)],
  };
  const insecure = (action: string, resource: string): PolicyRequest => ({ principalService: '*', action, resource, context: { 'aws:securetransport': 'false' } });
  const insecureRequests = [insecure('s3:GetObject', `${bucketArn}/x`), insecure('s3:PutObject', `${bucketArn}/x`), insecure('s3:ListBucket', bucketArn)];

  let existing: PolicyStatement[] = [];
  if (existingText !== undefined && existingText.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(existingText);
    } catch {
      throw new Error('the existing policy is not valid JSON');
    }
    const statement = isRecord(parsed) ? parsed['Statement'] : undefined;
    existing = asList(statement).filter(isRecord) as PolicyStatement[];
  }
  const notes: string[] = [];
  const toWrite: PolicyStatement[] = [];
  const name = (st: PolicyStatement, i: number) => (typeof st.Sid === 'string' && st.Sid !== '' ? st.Sid : `statement ${i + 1}`);
  for (const want of desired) {
    const sid = want.Sid ?? '';
    if (sid === DENY_INSECURE_TRANSPORT_SID) {
      const denying = existing.findIndex((st) => insecureRequests.every((r) => statementDenies(st, r)));
      if (denying >= 0) {
        if (existing[denying]?.Sid !== sid) notes.push(`${name(existing[denying] as PolicyStatement, denying)} already denies requests without TLS`);
        continue;
      }
      toWrite.push(want);
      continue;
    }
    const requests = needs[sid] ?? [];
    const granting = existing.findIndex((st) => requests.every((r) => statementGrants(st, r)));
    if (granting >= 0) {
      if (existing[granting]?.Sid !== sid) notes.push(`${name(existing[granting] as PolicyStatement, granting)} already grants what ${sid} would`);
      continue;
    }
    toWrite.push(want);
  }
  const writeRequest = needs[SETUP_WRITE_SID]?.[0] as PolicyRequest;
  existing.forEach((st, i) => {
    if (statementDenies(st, writeRequest)) notes.push(`warning: ${name(st, i)} denies CloudTrail's s3:PutObject; CloudTrail cannot deliver until it is changed (left as it is)`);
  });

  // Ours (by Sid and shape) are widened in place; anything else with our Sid is not ours: use a free Sid.
  const mergeDoc: PolicyStatement[] = [];
  const taken = new Set(existing.map((st) => st.Sid).filter((x): x is string => typeof x === 'string'));
  for (const want of toWrite) {
    const sid = want.Sid ?? '';
    const current = existing.find((st) => st.Sid === sid);
    if (current === undefined || (want['Effect'] === 'Allow' && current['Effect'] === 'Allow' && sameShape(current, want))) {
      mergeDoc.push(want);
      continue;
    }
    let n = 2;
    while (taken.has(`${sid}${n}`)) n++;
    taken.add(`${sid}${n}`);
    mergeDoc.push({ ...want, Sid: `${sid}${n}` });
  }
  const merged = mergeBySid(existingText, document(mergeDoc), { combine: unionTrailStatements });
  const written: PolicyStatement[] = [];
  if (merged.action !== 'unchanged') {
    const after = asList((JSON.parse(merged.text) as { Statement?: unknown }).Statement).filter(isRecord) as PolicyStatement[];
    for (const change of merged.statements) if (change.action !== 'unchanged') written.push(...after.filter((st) => st.Sid === change.sid));
  }
  return { ...merged, written, notes };
}

export function mergeKmsKeyPolicy(existingText: string | undefined, desired: PolicyDocument): MergeResult {
  return mergeBySid(existingText, desired, { onlyIfAbsent: new Set([KMS_ROOT_SID]), combine: unionTrailStatements });
}

export function mergeSnsTopicPolicy(existingText: string | undefined, desired: PolicyDocument): MergeResult {
  return mergeBySid(existingText, desired, { combine: unionTrailStatements });
}

/** Whether a trust policy already lets CloudTrail (this trail, when given) assume the role. */
export function trustAllowsCloudTrail(doc: unknown, trailArn?: string): boolean {
  const statements = asList((doc as { Statement?: unknown } | null)?.Statement);
  return statements.some((s) => {
    const st = s as PolicyStatement;
    if (st['Effect'] !== 'Allow') return false;
    const services = asList((st['Principal'] as { Service?: unknown } | undefined)?.Service);
    if (!services.includes(CLOUDTRAIL_PRINCIPAL)) return false;
    if (!asList(st['Action']).some((a) => a === 'sts:AssumeRole' || a === 'sts:*' || a === '*')) return false;
    const condition = st['Condition'];
    if (condition === undefined) return true;
    if (conditionEntries(condition, 'aws:SourceArn').length === 0) return false;
    return trailArn !== undefined && conditionAllows(condition, 'aws:SourceArn', trailArn);
  });
}

/** The trust policy of an existing role with CloudTrail added when it is missing. */
export function mergeTrustPolicy(existingText: string, trailArn?: string): MergeResult {
  if (trustAllowsCloudTrail(JSON.parse(existingText), trailArn)) return { text: existingText, action: 'unchanged', statements: [] };
  const statement = assumeRolePolicy(trailArn === undefined ? {} : { trailArn }).Statement[0] as PolicyStatement;
  return mergeBySid(existingText, document([{ Sid: TRUST_SID, ...statement }]), { combine: unionTrailStatements });
}

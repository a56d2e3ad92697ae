/**
 * Whether a bucket policy is public, as Amazon S3 defines it ("The meaning of public", S3 user
 * guide): S3 starts by assuming a policy is public, and a statement that allows access is
 * non-public only when it grants access to fixed values (no wildcard, no policy variable) of a
 * principal, or of one of a few condition keys (aws:SourceArn, aws:SourceVpc, aws:SourceVpce,
 * aws:SourceOwner, aws:SourceAccount, aws:PrincipalOrgID, s3:x-amz-server-side-encryption-aws-kms-key-id,
 * aws:userid, s3:DataAccessPointArn, s3:DataAccessPointAccount), or to a set of CIDRs with
 * aws:SourceIp that are no wider than /8 (IPv4) or /32 (IPv6), RFC 1918 ranges excepted.
 * Any other condition (aws:UserAgent, aws:Referer, aws:SecureTransport...) does not make it private.
 */
import { isIpAddress } from './ip.js';
import type { PolicyDocument, PolicyStatement } from './policy-analysis.js';
import { statementsOf } from './policy-analysis.js';

export interface PublicStatement {
  /** Position in the Statement list (0-based) and Sid, to name it. */
  readonly index: number;
  readonly sid?: string;
  readonly reason: string;
}

/** Keys whose fixed value limits who can use a statement (lower case). aws:SourceIp is handled apart. */
const LIMITING_KEYS = new Set([
  'aws:sourcearn', 'aws:sourcevpc', 'aws:sourcevpce', 'aws:sourceowner', 'aws:sourceaccount', 'aws:principalorgid', 'aws:principalaccount',
  'aws:principalarn', 's3:x-amz-server-side-encryption-aws-kms-key-id', 'aws:userid', 's3:dataaccesspointarn', 's3:dataaccesspointaccount',
]);

const list = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** A value with no wildcard and no policy variable. */
const isFixed = (value: unknown): value is string => typeof value === 'string' && value !== '' && !/[*?]|\$\{/.test(value);

/** The operators under which listed values are what is let through (not Not*, IfExists or ForAllValues). */
function restrictingOperator(operator: string): 'string' | 'arn' | 'ip' | undefined {
  if (/IfExists$/i.test(operator) || /^ForAllValues:/i.test(operator)) return undefined;
  const base = operator.replace(/^ForAnyValue:/i, '').toLowerCase();
  if (base === 'stringequals' || base === 'stringequalsignorecase' || base === 'stringlike') return 'string';
  if (base === 'arnequals' || base === 'arnlike') return 'arn';
  if (base === 'ipaddress') return 'ip';
  return undefined;
}

/**
 * Why a CIDR is too wide to limit access, or undefined when it is narrow enough. (Every IPv4
 * range wider than /8 reaches beyond the RFC 1918 ranges, which are /8 or narrower, so S3's
 * exception for private ranges never applies to one.)
 */
function wideCidr(value: unknown): string | undefined {
  if (typeof value !== 'string') return `aws:SourceIp ${JSON.stringify(value)} is not a CIDR`;
  const [address = '', prefixText] = value.split('/');
  if (!isIpAddress(address) || (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText))) return `aws:SourceIp ${value} is not a CIDR`;
  const v6 = address.includes(':');
  const prefix = prefixText === undefined ? (v6 ? 128 : 32) : Number(prefixText);
  if (v6) return prefix >= 32 ? undefined : `aws:SourceIp ${value} is wider than /32`;
  return prefix >= 8 ? undefined : `aws:SourceIp ${value} is wider than /8`;
}

/** An ARN of s3:DataAccessPointArn is fixed enough when its account is (the access point name may be a wildcard). */
function fixedAccessPointArn(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const parts = value.split(':');
  return parts.length >= 6 && parts.slice(0, 5).every(isFixed);
}

/** Whether the statement's Condition pins it to fixed values of a limiting key; otherwise why not. */
function limitedBy(statement: PolicyStatement): { limited: true; key: string } | { limited: false; why: string } {
  const seen: string[] = [];
  for (const [operator, block] of Object.entries(statement.Condition ?? {})) {
    if (block === null || typeof block !== 'object') continue;
    for (const [key, raw] of Object.entries(block)) {
      const lower = key.toLowerCase();
      const values = list(raw);
      seen.push(key);
      const kind = restrictingOperator(operator);
      if (kind === undefined || values.length === 0) continue;
      if (lower === 'aws:sourceip') {
        if (kind === 'ip' && values.every((v) => wideCidr(v) === undefined)) return { limited: true, key };
        const wide = values.map(wideCidr).find((w) => w !== undefined);
        if (wide !== undefined) seen[seen.length - 1] = wide;
        continue;
      }
      if (!LIMITING_KEYS.has(lower) || kind === 'ip') continue;
      if (lower === 's3:dataaccesspointarn' ? values.every(fixedAccessPointArn) : values.every(isFixed)) return { limited: true, key };
      seen[seen.length - 1] = `${key} ${JSON.stringify(values.find((v) => !isFixed(v)))} is not a fixed value`;
    }
  }
  if (seen.length === 0) return { limited: false, why: 'no condition' };
  return { limited: false, why: `its condition (${seen.join(', ')}) does not limit who may use it` };
}

/** Whether a principal element is fixed (named accounts, users, roles or services only). */
function publicPrincipal(principal: unknown): string | undefined {
  if (principal === '*') return 'Principal "*"';
  if (principal === null || typeof principal !== 'object') return principal === undefined ? undefined : `Principal ${JSON.stringify(principal)}`;
  for (const [type, raw] of Object.entries(principal as Record<string, unknown>)) {
    const values = list(raw);
    if (type === 'Federated') return `a federated principal (${values.join(', ')})`;
    const open = values.find((v) => !isFixed(v));
    if (open !== undefined) return `Principal ${JSON.stringify({ [type]: open })}`;
  }
  return undefined;
}

/** The Allow statements that make a bucket policy public, each with the reason. */
export function publicStatements(doc: PolicyDocument | undefined): PublicStatement[] {
  const out: PublicStatement[] = [];
  statementsOf(doc).forEach((statement, index) => {
    if (statement.Effect !== 'Allow') return;
    const who = statement.NotPrincipal !== undefined ? 'NotPrincipal (everyone but the named principals)' : publicPrincipal(statement.Principal);
    if (who === undefined) return;
    const limit = limitedBy(statement);
    if (limit.limited) return;
    out.push({ index, ...(statement.Sid === undefined ? {} : { sid: statement.Sid }), reason: `${who}, and ${limit.why}` });
  });
  return out;
}

/** The grantee group URIs S3 calls public in an ACL. */
export const PUBLIC_ACL_GROUPS = ['http://acs.amazonaws.com/groups/global/AllUsers', 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers'];

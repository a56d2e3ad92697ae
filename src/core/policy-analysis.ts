/**
 * Just enough of IAM policy evaluation to answer verify's questions ("does this bucket policy let
 * CloudTrail write the trail's prefix?"): Allow statements, principals, actions and resources
 * with `*`/`?` wildcards, and which condition keys a statement carries. Deny statements are
 * reported separately; full IAM evaluation (NotAction, policy variables...) is out of scope.
 */

export interface PolicyStatement {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

export interface PolicyDocument {
  Version?: string;
  Statement?: PolicyStatement | PolicyStatement[];
}

/** Parses a policy document; undefined when it is not JSON or has no statements. */
export function parsePolicy(text: string | undefined): PolicyDocument | undefined {
  if (text === undefined || text === '') return undefined;
  let raw = text;
  // IAM returns documents URL-encoded.
  if (/^%7B/i.test(raw)) raw = decodeURIComponent(raw);
  try {
    const doc = JSON.parse(raw) as unknown;
    return typeof doc === 'object' && doc !== null ? (doc as PolicyDocument) : undefined;
  } catch {
    return undefined;
  }
}

export function statementsOf(doc: PolicyDocument | undefined): PolicyStatement[] {
  if (doc?.Statement === undefined) return [];
  return Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
}

const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** IAM-style wildcard match: `*` any run, `?` one character. */
export function wildcardMatch(pattern: string, value: string, caseInsensitive = false): boolean {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, caseInsensitive ? 'is' : 's').test(value);
}

/** Whether the statement's principal includes the AWS service (or everyone). */
export function principalIncludesService(statement: PolicyStatement, service: string): boolean {
  const p = statement.Principal;
  if (p === '*') return true;
  if (typeof p !== 'object' || p === null) return false;
  const record = p as Record<string, unknown>;
  if (record['AWS'] === '*') return true;
  const services = record['Service'];
  return list(services as string | string[] | undefined).includes(service);
}

/** Whether the statement grants everyone (a public policy statement, conditions aside). */
export function isPublicPrincipal(statement: PolicyStatement): boolean {
  const p = statement.Principal;
  if (p === '*') return true;
  if (typeof p === 'object' && p !== null) {
    const aws = (p as Record<string, unknown>)['AWS'];
    return list(aws as string | string[] | undefined).includes('*');
  }
  return false;
}

export function actionAllowed(statement: PolicyStatement, action: string): boolean {
  return list(statement.Action).some((a) => wildcardMatch(a, action, true));
}

export function resourceCovered(statement: PolicyStatement, resource: string): boolean {
  return list(statement.Resource).some((r) => wildcardMatch(r, resource));
}

/** The condition keys of a statement, lower-cased (`aws:sourcearn`, `s3:x-amz-acl`...). */
export function conditionKeys(statement: PolicyStatement): Set<string> {
  const keys = new Set<string>();
  for (const block of Object.values(statement.Condition ?? {})) {
    for (const key of Object.keys(block ?? {})) keys.add(key.toLowerCase());
  }
  return keys;
}

/** The Allow statements that grant `action` on `resource` to the principal test. */
export function allowingStatements(
  doc: PolicyDocument | undefined,
  action: string,
  resource: string,
  principal: (s: PolicyStatement) => boolean = () => true,
): PolicyStatement[] {
  return statementsOf(doc).filter((s) => s.Effect === 'Allow' && principal(s) && actionAllowed(s, action) && resourceCovered(s, resource));
}

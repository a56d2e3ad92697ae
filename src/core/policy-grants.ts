/**
 * Does a policy statement grant (or deny) one request? Just enough of IAM's evaluation to answer
 * setup's question "does the bucket policy already let CloudTrail do this?" by meaning rather than
 * by Sid: principal, action and resource with wildcards, and the condition operators that compare
 * the request's keys (String*, Arn*, Bool, Null, each with IfExists and the Not forms). A condition
 * this cannot evaluate (IpAddress, Numeric*, Date*, a key the request does not carry under a plain
 * operator) does not match, so an unknown Allow never counts as a grant and an unknown Deny never
 * counts as blocking.
 */

export interface PolicyRequest {
  /** `cloudtrail.amazonaws.com` for a service, `*` for anyone (an anonymous request). */
  readonly principalService?: string;
  readonly action: string;
  readonly resource: string;
  /** Condition keys, lower case, and their values in the request. */
  readonly context: Readonly<Record<string, string>>;
}

type Statement = Record<string, unknown>;

const list = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

function wildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

function principalMatches(statement: Statement, request: PolicyRequest): boolean {
  if (statement['NotPrincipal'] !== undefined) return false;
  const p = statement['Principal'];
  if (p === '*') return true;
  if (p === null || typeof p !== 'object') return false;
  const record = p as Record<string, unknown>;
  if (list(record['AWS']).includes('*')) return true;
  return request.principalService !== undefined && list(record['Service']).includes(request.principalService);
}

function arnMatches(pattern: string, value: string): boolean {
  const split = (arn: string) => {
    const parts = arn.split(':');
    return parts.length <= 6 ? parts : [...parts.slice(0, 5), parts.slice(5).join(':')];
  };
  const p = split(pattern);
  const v = split(value);
  return p.length === v.length && p.every((part, i) => wildcard(part, v[i] as string));
}

/** One condition operator on one key: true, false, or undefined when it cannot be evaluated. */
function operatorHolds(operator: string, key: string, patterns: unknown[], context: Readonly<Record<string, string>>): boolean | undefined {
  const ifExists = /IfExists$/i.test(operator);
  const base = operator.replace(/^(ForAnyValue|ForAllValues):/i, '').replace(/IfExists$/i, '').toLowerCase();
  const value = context[key.toLowerCase()];
  const strings = patterns.filter((p): p is string => typeof p === 'string');
  if (base === 'null') {
    const wantsAbsent = strings.some((s) => s.toLowerCase() === 'true');
    return wantsAbsent === (value === undefined);
  }
  const negated = /^(stringnot|arnnot)/.test(base);
  if (value === undefined) return negated || ifExists ? true : false;
  const test = (pattern: string): boolean | undefined => {
    switch (base.replace('not', '')) {
      case 'stringequals': return pattern === value;
      case 'stringequalsignorecase': return pattern.toLowerCase() === value.toLowerCase();
      case 'stringlike': return wildcard(pattern, value);
      case 'arnequals':
      case 'arnlike': return arnMatches(pattern, value);
      case 'bool': return pattern.toLowerCase() === value.toLowerCase();
      default: return undefined;
    }
  };
  const results = strings.map(test);
  if (results.some((r) => r === undefined)) return undefined;
  const any = results.some((r) => r === true);
  return negated ? !any : any;
}

/** Whether every condition of the statement holds for the request (undefined: cannot tell). */
export function conditionsHold(statement: Statement, request: PolicyRequest): boolean | undefined {
  const condition = statement['Condition'];
  if (condition === undefined) return true;
  if (condition === null || typeof condition !== 'object') return undefined;
  let unknown = false;
  for (const [operator, block] of Object.entries(condition as Record<string, unknown>)) {
    if (block === null || typeof block !== 'object') return undefined;
    for (const [key, values] of Object.entries(block as Record<string, unknown>)) {
      const holds = operatorHolds(operator, key, list(values), request.context);
      if (holds === false) return false;
      if (holds === undefined) unknown = true;
    }
  }
  return unknown ? undefined : true;
}

function actionAndResourceMatch(statement: Statement, request: PolicyRequest): boolean {
  if (statement['NotAction'] !== undefined || statement['NotResource'] !== undefined) return false;
  const actions = list(statement['Action']).filter((a): a is string => typeof a === 'string');
  const resources = list(statement['Resource']).filter((r): r is string => typeof r === 'string');
  return actions.some((a) => wildcard(a, request.action, true)) && resources.some((r) => wildcard(r, request.resource));
}

/** The statement is an Allow that certainly grants the request. */
export function statementGrants(statement: Statement, request: PolicyRequest): boolean {
  return statement['Effect'] === 'Allow' && principalMatches(statement, request) && actionAndResourceMatch(statement, request) && conditionsHold(statement, request) === true;
}

/** The statement is a Deny that certainly applies to the request. */
export function statementDenies(statement: Statement, request: PolicyRequest): boolean {
  return statement['Effect'] === 'Deny' && principalMatches(statement, request) && actionAndResourceMatch(statement, request) && conditionsHold(statement, request) === true;
}

/**
 * The settings of `trailkit setup` from a config file a team keeps in git (trailkit.json or
 * .yaml, the flags' long names as keys, camelCase or kebab-case) and from flags, which win.
 */
import { usageError } from './errors.js';
import {
  checkAdvancedSelectors, checkBasicSelectors, hasSelectorFlags, parseInsightTypes, recordsWriteManagementEvents, selectorsFromFlags,
  type AdvancedEventSelector, type BasicEventSelector, type ManagementEvents, type SelectorFlags,
} from './event-selectors.js';
import {
  bucketNameProblem, checkTags, kmsKeyRefProblem, logGroupNameProblem, organizationIdProblem, parseTags, requireValid, retentionProblem,
  roleNameProblem, topicNameProblem, trailNameProblem,
} from './names.js';
import type { SetupSettings } from './setup-plan.js';

/** Every setting, as flags and config keys give it (camelCase). */
export interface SetupInput {
  trailName?: string;
  bucket?: string;
  prefix?: string;
  singleRegion?: boolean;
  logFileValidation?: boolean;
  kmsKey?: string;
  createKmsKey?: boolean;
  sseS3?: boolean;
  blockPublicAccess?: boolean;
  denyInsecureTransport?: boolean;
  snsTopic?: string;
  logGroup?: string;
  cloudwatch?: boolean;
  roleName?: string;
  retentionInDays?: number | string;
  organization?: string | boolean;
  managementEvents?: string;
  excludeKmsEvents?: boolean;
  excludeRdsDataApiEvents?: boolean;
  s3DataEvents?: string[] | string;
  lambdaDataEvents?: string[] | string;
  dynamodbDataEvents?: string[] | string;
  insights?: string[] | string;
  tag?: string[] | string | Record<string, string>;
  tags?: string[] | string | Record<string, string>;
  eventSelectors?: unknown;
  advancedEventSelectors?: unknown;
}

/** What a config file may give for each setting. */
type ValueType = 'boolean' | 'string' | 'integer' | 'string-or-boolean' | 'strings' | 'tags' | 'selectors';

const VALUE_TYPES: Record<keyof SetupInput, ValueType> = {
  trailName: 'string', bucket: 'string', prefix: 'string', singleRegion: 'boolean', logFileValidation: 'boolean', kmsKey: 'string',
  createKmsKey: 'boolean', sseS3: 'boolean', blockPublicAccess: 'boolean', denyInsecureTransport: 'boolean', snsTopic: 'string', logGroup: 'string', cloudwatch: 'boolean', roleName: 'string', retentionInDays: 'integer',
  organization: 'string-or-boolean', managementEvents: 'string', excludeKmsEvents: 'boolean', excludeRdsDataApiEvents: 'boolean',
  s3DataEvents: 'strings', lambdaDataEvents: 'strings', dynamodbDataEvents: 'strings', insights: 'strings', tag: 'tags', tags: 'tags',
  eventSelectors: 'selectors', advancedEventSelectors: 'selectors',
};

const KEYS = new Set<string>(Object.keys(VALUE_TYPES));

const EXPECTED: Record<ValueType, string> = {
  boolean: 'true or false',
  string: 'a string',
  integer: 'a whole number',
  'string-or-boolean': 'an organization id, or true or false',
  strings: 'a string or a list of strings',
  tags: 'a mapping of tag keys to values, or a list of KEY=VALUE strings',
  selectors: 'a list of selectors, or a file:// path',
};

/** How a config value reads in an error message: `the string "false"`, `a list`, `null`. */
function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${String(value)}`;
}

function isScalarTagValue(value: unknown): boolean {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean';
}

function hasType(value: unknown, type: ValueType): boolean {
  switch (type) {
    case 'boolean': return typeof value === 'boolean';
    case 'string': return typeof value === 'string';
    case 'integer': return typeof value === 'number' && Number.isInteger(value);
    case 'string-or-boolean': return typeof value === 'string' || typeof value === 'boolean';
    case 'strings': return typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'));
    case 'tags':
      if (typeof value === 'string') return true;
      if (Array.isArray(value)) return value.every((v) => typeof v === 'string');
      return value !== null && typeof value === 'object' && Object.values(value).every(isScalarTagValue);
    case 'selectors': return typeof value === 'string' || Array.isArray(value);
  }
}

function camel(key: string): string {
  return key.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** A parsed config file's object, checked for unknown keys and with kebab-case keys made camelCase. */
export function normalizeConfig(raw: unknown, source: string): SetupInput {
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw usageError(`${source}: must be a mapping of setting names to values`);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const k = camel(key);
    if (!KEYS.has(k)) throw usageError(`${source}: unknown setting ${JSON.stringify(key)}`, `settings: ${[...KEYS].join(', ')}`);
    const type = VALUE_TYPES[k as keyof SetupInput];
    if (!hasType(value, type)) throw usageError(`${source}: setting ${JSON.stringify(key)} must be ${EXPECTED[type]}, not ${describeValue(value)}`);
    out[k] = value;
  }
  return out as SetupInput;
}

function list(value: string[] | string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(',')).map((v) => v.trim()).filter((v) => v !== '');
  return items;
}

function tagsFrom(value: SetupInput['tags']): Record<string, string> {
  if (value === undefined) return {};
  // A mapping is taken as it is: its values may hold commas and equals signs.
  if (typeof value === 'object' && !Array.isArray(value)) return checkTags(Object.entries(value).map(([k, v]) => [k, String(v)]));
  return parseTags(Array.isArray(value) ? value : [value]);
}

/** Reports selector problems as one usage error naming each broken rule. */
export function requireValidSelectors(check: { errors: string[] }): void {
  if (check.errors.length === 0) return;
  const more = check.errors.length > 1 ? ` (and ${check.errors.length - 1} more: ${check.errors.slice(1, 4).join('; ')}${check.errors.length > 4 ? '; ...' : ''})` : '';
  throw usageError(`${check.errors[0]}${more}`);
}

const MANAGEMENT = ['all', 'read', 'write', 'none'];

export function selectorFlagsOf(input: SetupInput): SelectorFlags {
  const flags: SelectorFlags = {};
  if (input.managementEvents !== undefined) {
    if (!MANAGEMENT.includes(input.managementEvents)) throw usageError(`invalid --management-events ${JSON.stringify(input.managementEvents)}: use all, read, write or none`);
    flags.managementEvents = input.managementEvents as ManagementEvents;
  }
  if (input.excludeKmsEvents === true) flags.excludeKmsEvents = true;
  if (input.excludeRdsDataApiEvents === true) flags.excludeRdsDataApiEvents = true;
  const s3 = list(input.s3DataEvents);
  if (s3 !== undefined) {
    for (const entry of s3) if (entry !== 'all') requireValid('bucket name in --s3-data-events', entry.split('/')[0] ?? '', bucketNameProblem);
    flags.s3DataEvents = s3;
  }
  const lambda = list(input.lambdaDataEvents);
  if (lambda !== undefined) flags.lambdaDataEvents = lambda;
  const dynamo = list(input.dynamodbDataEvents);
  if (dynamo !== undefined) flags.dynamodbDataEvents = dynamo;
  return flags;
}

/**
 * The selectors asked for, from JSON documents or convenience flags (exclusive), validated
 * locally. Returns undefined for each kind not asked for.
 */
export function selectorsOf(input: SetupInput, partition: string, warn: (message: string) => void): { basic?: BasicEventSelector[]; advanced?: AdvancedEventSelector[] } {
  const flags = selectorFlagsOf(input);
  const given = [input.eventSelectors !== undefined, input.advancedEventSelectors !== undefined, hasSelectorFlags(flags)].filter(Boolean).length;
  if (given > 1) throw usageError('give only one of --event-selectors, --advanced-event-selectors and the convenience selector flags: writing selectors replaces the trail\'s current ones');
  if (input.eventSelectors !== undefined) {
    const check = checkBasicSelectors(input.eventSelectors);
    check.warnings.forEach(warn);
    requireValidSelectors(check);
    return { basic: input.eventSelectors as BasicEventSelector[] };
  }
  let advanced: unknown = input.advancedEventSelectors;
  if (advanced === undefined && hasSelectorFlags(flags)) advanced = selectorsFromFlags(flags, partition);
  if (advanced === undefined) return {};
  const check = checkAdvancedSelectors(advanced);
  check.warnings.forEach(warn);
  requireValidSelectors(check);
  return { advanced: advanced as AdvancedEventSelector[] };
}

/** Merges config and flags (flags win), validates everything locally, and returns the settings. */
export function resolveSetupSettings(config: SetupInput, flags: SetupInput, partition: string, warn: (message: string) => void): SetupSettings {
  const input: SetupInput = { ...config };
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) (input as Record<string, unknown>)[k] = v;
  // Selector sources given as flags replace those from the config rather than clash with them.
  const flagSelectors = flags.eventSelectors !== undefined || flags.advancedEventSelectors !== undefined || hasSelectorFlags(selectorFlagsOf(flags));
  if (flagSelectors) {
    for (const key of ['eventSelectors', 'advancedEventSelectors', 'managementEvents', 'excludeKmsEvents', 'excludeRdsDataApiEvents', 's3DataEvents', 'lambdaDataEvents', 'dynamodbDataEvents'] as const) {
      if (flags[key] === undefined) delete input[key];
    }
  }
  if (input.trailName === undefined) throw usageError('missing --trail-name (or trailName in the config file)');
  if (input.bucket === undefined) throw usageError('missing --bucket (or bucket in the config file)');
  const settings: SetupSettings = {
    trailName: requireValid('trail name', String(input.trailName), trailNameProblem),
    bucket: requireValid('bucket name', String(input.bucket), bucketNameProblem),
  };
  if (input.prefix !== undefined) {
    const prefix = String(input.prefix).replace(/^\/+|\/+$/g, '');
    if (prefix.length > 200) throw usageError('invalid --prefix: at most 200 characters');
    if (prefix !== '') settings.prefix = prefix;
  }
  if (input.singleRegion !== undefined) settings.multiRegion = !input.singleRegion;
  if (input.logFileValidation !== undefined) settings.logFileValidation = input.logFileValidation;
  if (input.kmsKey !== undefined && input.createKmsKey === true) throw usageError('give --kms-key or --create-kms-key, not both');
  if (input.kmsKey !== undefined) settings.kmsKey = requireValid('--kms-key', String(input.kmsKey), kmsKeyRefProblem);
  if (input.createKmsKey === true) settings.createKmsKey = true;
  if (input.sseS3 === true) {
    if (input.kmsKey !== undefined || input.createKmsKey === true) throw usageError('--sse-s3 cannot be combined with --kms-key or --create-kms-key', 'drop --sse-s3 to encrypt with KMS');
    settings.sseS3 = true;
  }
  if (input.blockPublicAccess === false) settings.blockPublicAccess = false;
  if (input.denyInsecureTransport === false) settings.denyInsecureTransport = false;
  if (input.snsTopic !== undefined) settings.snsTopic = requireValid('SNS topic name', String(input.snsTopic), topicNameProblem);
  if (input.cloudwatch === false) {
    if (input.logGroup !== undefined || input.roleName !== undefined || input.retentionInDays !== undefined) throw usageError('--no-cloudwatch cannot be combined with --log-group, --role-name or --retention-in-days');
    settings.cloudwatch = false;
  }
  if (input.logGroup !== undefined) settings.logGroup = requireValid('log group name', String(input.logGroup), logGroupNameProblem);
  if (input.roleName !== undefined) settings.roleName = requireValid('role name', String(input.roleName), roleNameProblem);
  if (input.retentionInDays !== undefined) {
    const days = Number(input.retentionInDays);
    requireValid('--retention-in-days', String(input.retentionInDays), () => (Number.isInteger(days) ? retentionProblem(days) : 'must be a whole number of days'));
    settings.retentionInDays = days;
  }
  if (input.organization !== undefined && input.organization !== false) {
    if (input.organization === true) throw usageError('--organization needs the organization id, e.g. --organization o-exampleorgid');
    settings.organizationId = requireValid('organization id', String(input.organization), organizationIdProblem);
  }
  const selectors = selectorsOf(input, partition, warn);
  if (selectors.basic !== undefined) settings.eventSelectors = selectors.basic;
  if (selectors.advanced !== undefined) settings.advancedEventSelectors = selectors.advanced;
  const insights = list(input.insights);
  if (insights !== undefined) {
    try {
      settings.insights = parseInsightTypes(insights);
    } catch (error) {
      throw usageError(`invalid --insights: ${(error as Error).message}`);
    }
    if (settings.insights.length > 0 && (selectors.basic !== undefined || selectors.advanced !== undefined) && !recordsWriteManagementEvents(selectors)) {
      throw usageError('--insights needs write management events, but the event selectors asked for do not record them');
    }
  }
  const tags = { ...tagsFrom(config.tags), ...tagsFrom(config.tag), ...tagsFrom(flags.tags), ...tagsFrom(flags.tag) };
  if (Object.keys(tags).length > 0) settings.tags = tags;
  return settings;
}

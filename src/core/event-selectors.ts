/**
 * Event selectors (SPEC section 5): local validation of basic and advanced selectors before
 * PutEventSelectors, so a mistake is reported with the selector, the field and the rule broken
 * instead of AWS's InvalidEventSelectorsException; and the convenience flags turned into selectors.
 */

export interface DataResource {
  Type?: string;
  Values?: string[];
}

export interface BasicEventSelector {
  ReadWriteType?: string;
  IncludeManagementEvents?: boolean;
  DataResources?: DataResource[];
  ExcludeManagementEventSources?: string[];
}

export const OPERATORS = ['Equals', 'NotEquals', 'StartsWith', 'NotStartsWith', 'EndsWith', 'NotEndsWith'] as const;
export type Operator = (typeof OPERATORS)[number];

export type FieldSelector = { Field: string } & Partial<Record<Operator, string[]>>;

export interface AdvancedEventSelector {
  Name?: string;
  FieldSelectors: FieldSelector[];
}

export interface SelectorCheck {
  errors: string[];
  warnings: string[];
}

export const MAX_BASIC_SELECTORS = 5;
export const MAX_BASIC_DATA_RESOURCES = 250;
export const MAX_ADVANCED_VALUES = 500;
export const MAX_VALUE_LENGTH = 2048;
export const MAX_NAME_LENGTH = 1000;
export const EXCLUDABLE_SOURCES = ['kms.amazonaws.com', 'rdsdata.amazonaws.com'] as const;
export const BASIC_DATA_TYPES = ['AWS::S3::Object', 'AWS::Lambda::Function', 'AWS::DynamoDB::Table'] as const;

/** Data resource types documented for advanced selectors; others of the AWS::X::Y form only warn. */
export const KNOWN_DATA_TYPES = new Set([
  'AWS::S3::Object', 'AWS::Lambda::Function', 'AWS::DynamoDB::Table', 'AWS::S3Outposts::Object',
  'AWS::ManagedBlockchain::Node', 'AWS::S3ObjectLambda::AccessPoint', 'AWS::EC2::Snapshot',
  'AWS::S3::AccessPoint', 'AWS::DynamoDB::Stream', 'AWS::Glue::Table', 'AWS::FinSpace::Environment',
  'AWS::SageMaker::ExperimentTrialComponent', 'AWS::SageMaker::FeatureGroup', 'AWS::SNS::Topic',
  'AWS::SNS::PlatformEndpoint', 'AWS::SQS::Queue', 'AWS::S3Express::Object', 'AWS::Bedrock::AgentAlias',
  'AWS::Bedrock::KnowledgeBase', 'AWS::Cassandra::Table', 'AWS::CloudTrail::Channel', 'AWS::KMS::Key',
  'AWS::Lambda::LayerVersion', 'AWS::SecretsManager::Secret', 'AWS::StepFunctions::StateMachine',
  'AWS::GuardDuty::Detector', 'AWS::CodeWhisperer::Profile', 'AWS::CodeWhisperer::Customization',
]);

/** Exact-ARN formats for Equals/NotEquals on resources.ARN, by resource type. */
const ARN_FORMATS: Record<string, { pattern: RegExp; example: string }> = {
  'AWS::S3::Object': { pattern: /^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.*$/, example: 'arn:aws:s3:::bucket/ or arn:aws:s3:::bucket/key' },
  'AWS::Lambda::Function': { pattern: /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+$/, example: 'arn:aws:lambda:REGION:ACCOUNT:function:NAME' },
  'AWS::DynamoDB::Table': { pattern: /^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/[A-Za-z0-9_.-]+$/, example: 'arn:aws:dynamodb:REGION:ACCOUNT:table/NAME' },
  'AWS::S3::AccessPoint': { pattern: /^arn:aws[a-z-]*:s3:[a-z0-9-]+:\d{12}:accesspoint\/[a-z0-9-]+$/, example: 'arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME' },
  'AWS::DynamoDB::Stream': { pattern: /^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/[A-Za-z0-9_.-]+\/stream\/.+$/, example: 'arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL' },
  'AWS::EC2::Snapshot': { pattern: /^arn:aws[a-z-]*:ec2:[a-z0-9-]+::snapshot\/snap-[0-9a-f]+$/, example: 'arn:aws:ec2:REGION::snapshot/snap-ID' },
  'AWS::Glue::Table': { pattern: /^arn:aws[a-z-]*:glue:[a-z0-9-]+:\d{12}:table\/[^/]+\/[^/]+$/, example: 'arn:aws:glue:REGION:ACCOUNT:table/DATABASE/TABLE' },
};

const MANAGEMENT_FIELDS = new Set(['eventCategory', 'readOnly', 'eventSource']);
const DATA_FIELDS = new Set(['eventCategory', 'resources.type', 'resources.ARN', 'eventName', 'readOnly', 'eventSource', 'eventType', 'sessionCredentialFromConsole', 'userIdentity.arn']);
const NETWORK_FIELDS = new Set(['eventCategory', 'eventSource', 'eventName', 'errorCode', 'vpcEndpointId']);
const EQUALS_ONLY = new Set(['eventCategory', 'resources.type', 'readOnly']);
const EQUALS_OR_NOT = new Set(['eventType', 'sessionCredentialFromConsole']);
const CATEGORIES = ['Management', 'Data', 'NetworkActivity'];

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Checks basic selectors: every rule of SPEC section 5. */
export function checkBasicSelectors(input: unknown): SelectorCheck {
  const errors: string[] = [];
  const warnings: string[] = [];
  if (!Array.isArray(input)) return { errors: ['event selectors: must be a JSON list of selectors'], warnings };
  if (input.length === 0) errors.push('event selectors: the list is empty (at least 1 selector)');
  if (input.length > MAX_BASIC_SELECTORS) errors.push(`event selectors: ${input.length} selectors, at most ${MAX_BASIC_SELECTORS} per trail`);
  let dataValues = 0;
  input.forEach((raw: unknown, i) => {
    const at = `event selector ${i + 1}`;
    if (!isObject(raw)) {
      errors.push(`${at}: must be a JSON object`);
      return;
    }
    for (const key of Object.keys(raw)) {
      if (!['ReadWriteType', 'IncludeManagementEvents', 'DataResources', 'ExcludeManagementEventSources'].includes(key)) errors.push(`${at}: unknown key ${JSON.stringify(key)} (keys: ReadWriteType, IncludeManagementEvents, DataResources, ExcludeManagementEventSources)`);
    }
    const rw = raw['ReadWriteType'];
    if (rw !== undefined && !['ReadOnly', 'WriteOnly', 'All'].includes(rw as string)) errors.push(`${at}, ReadWriteType: ${JSON.stringify(rw)} must be ReadOnly, WriteOnly or All`);
    const mgmt = raw['IncludeManagementEvents'];
    if (mgmt !== undefined && typeof mgmt !== 'boolean') errors.push(`${at}, IncludeManagementEvents: must be true or false`);
    const excluded = raw['ExcludeManagementEventSources'];
    if (excluded !== undefined) {
      if (!Array.isArray(excluded)) errors.push(`${at}, ExcludeManagementEventSources: must be a list`);
      else for (const source of excluded) {
        if (!(EXCLUDABLE_SOURCES as readonly unknown[]).includes(source)) errors.push(`${at}, ExcludeManagementEventSources: ${JSON.stringify(source)} cannot be excluded (only ${EXCLUDABLE_SOURCES.join(', ')})`);
      }
    }
    const resources = raw['DataResources'];
    if (resources === undefined) return;
    if (!Array.isArray(resources)) {
      errors.push(`${at}, DataResources: must be a list`);
      return;
    }
    resources.forEach((resource: unknown, j) => {
      const rat = `${at}, DataResources[${j + 1}]`;
      if (!isObject(resource)) {
        errors.push(`${rat}: must be a JSON object with Type and Values`);
        return;
      }
      const type = resource['Type'];
      if (!(BASIC_DATA_TYPES as readonly unknown[]).includes(type)) errors.push(`${rat}, Type: ${JSON.stringify(type)} is not a basic data resource type (${BASIC_DATA_TYPES.join(', ')}; use advanced selectors for other types)`);
      const values = resource['Values'];
      if (!Array.isArray(values) || values.some((v) => typeof v !== 'string' || v === '')) {
        errors.push(`${rat}, Values: must be a list of non-empty strings`);
        return;
      }
      dataValues += values.length;
      for (const v of values as string[]) {
        if (!v.startsWith('arn:')) errors.push(`${rat}, Values: ${JSON.stringify(v)} must be an ARN or ARN prefix (e.g. arn:aws:s3:::bucket/)`);
      }
    });
  });
  if (dataValues > MAX_BASIC_DATA_RESOURCES) errors.push(`event selectors: ${dataValues} data resources in total, at most ${MAX_BASIC_DATA_RESOURCES} per trail`);
  return { errors, warnings };
}

/** Checks advanced selectors: every rule of SPEC section 5. */
export function checkAdvancedSelectors(input: unknown): SelectorCheck {
  const errors: string[] = [];
  const warnings: string[] = [];
  if (!Array.isArray(input)) return { errors: ['advanced event selectors: must be a JSON list of selectors'], warnings };
  if (input.length === 0) errors.push('advanced event selectors: the list is empty (at least 1 selector)');
  let totalValues = 0;
  input.forEach((raw: unknown, i) => {
    if (!isObject(raw)) {
      errors.push(`advanced event selector ${i + 1}: must be a JSON object with Name and FieldSelectors`);
      return;
    }
    const name = raw['Name'];
    const at = `advanced event selector ${i + 1}${typeof name === 'string' ? ` (${JSON.stringify(name.slice(0, 60))})` : ''}`;
    for (const key of Object.keys(raw)) if (key !== 'Name' && key !== 'FieldSelectors') errors.push(`${at}: unknown key ${JSON.stringify(key)} (keys: Name, FieldSelectors)`);
    if (name !== undefined && (typeof name !== 'string' || name.length > MAX_NAME_LENGTH)) errors.push(`${at}, Name: must be a string of at most ${MAX_NAME_LENGTH} characters`);
    const fields = raw['FieldSelectors'];
    if (!Array.isArray(fields) || fields.length === 0) {
      errors.push(`${at}, FieldSelectors: at least one field selector is required`);
      return;
    }
    const byField = new Map<string, Record<string, unknown>>();
    fields.forEach((fs: unknown, j) => {
      if (!isObject(fs)) {
        errors.push(`${at}, field selector ${j + 1}: must be a JSON object with Field and an operator`);
        return;
      }
      const field = fs['Field'];
      const fat = `${at}, field ${typeof field === 'string' ? JSON.stringify(field) : j + 1}`;
      if (typeof field !== 'string' || !/^[\w|.]+$/.test(field)) {
        errors.push(`${fat}: Field must match [\\w|\\d|\\.|_]+`);
        return;
      }
      if (byField.has(field)) errors.push(`${fat}: the field appears twice in one selector`);
      byField.set(field, fs);
      let operators = 0;
      for (const [key, values] of Object.entries(fs)) {
        if (key === 'Field') continue;
        if (!(OPERATORS as readonly string[]).includes(key)) {
          errors.push(`${fat}: unknown operator ${JSON.stringify(key)} (operators: ${OPERATORS.join(', ')})`);
          continue;
        }
        operators++;
        if (!Array.isArray(values) || values.length === 0) {
          errors.push(`${fat}, ${key}: must be a non-empty list of values`);
          continue;
        }
        totalValues += values.length;
        for (const v of values) {
          if (typeof v !== 'string' || v.length < 1 || v.length > MAX_VALUE_LENGTH) errors.push(`${fat}, ${key}: each value must be a string of 1-${MAX_VALUE_LENGTH} characters`);
        }
      }
      if (operators === 0) errors.push(`${fat}: needs at least one operator (${OPERATORS.join(', ')})`);
    });
    checkSelectorFields(at, byField, errors, warnings);
  });
  if (totalValues > MAX_ADVANCED_VALUES) errors.push(`advanced event selectors: ${totalValues} values across all selectors, at most ${MAX_ADVANCED_VALUES} per trail`);
  return { errors, warnings };
}

function operatorsOf(fs: Record<string, unknown>): string[] {
  return Object.keys(fs).filter((k) => k !== 'Field');
}

function stringsOf(fs: Record<string, unknown>, op: string): string[] {
  const v = fs[op];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** The per-category rules: which fields, which operators, which values. */
function checkSelectorFields(at: string, byField: Map<string, Record<string, unknown>>, errors: string[], warnings: string[]): void {
  const category = byField.get('eventCategory');
  if (category === undefined) {
    errors.push(`${at}: the field eventCategory is required`);
    return;
  }
  const catOps = operatorsOf(category);
  const catValues = stringsOf(category, 'Equals');
  if (catOps.some((op) => op !== 'Equals') || catValues.length !== 1) {
    errors.push(`${at}, field "eventCategory": only Equals with one value is allowed`);
    return;
  }
  const kind = catValues[0] as string;
  if (!CATEGORIES.includes(kind)) {
    errors.push(`${at}, field "eventCategory": ${JSON.stringify(kind)} must be one of ${CATEGORIES.join(', ')} for a trail`);
    return;
  }
  const allowed = kind === 'Management' ? MANAGEMENT_FIELDS : kind === 'Data' ? DATA_FIELDS : NETWORK_FIELDS;
  for (const [field, fs] of byField) {
    const fat = `${at}, field ${JSON.stringify(field)}`;
    if (!allowed.has(field)) {
      errors.push(`${fat}: not allowed in ${kind} selectors (allowed: ${[...allowed].join(', ')})`);
      continue;
    }
    const ops = operatorsOf(fs);
    if (EQUALS_ONLY.has(field) && ops.some((op) => op !== 'Equals')) errors.push(`${fat}: only Equals is allowed`);
    if (EQUALS_OR_NOT.has(field) && ops.some((op) => op !== 'Equals' && op !== 'NotEquals')) errors.push(`${fat}: only Equals and NotEquals are allowed`);
    if (field === 'readOnly') {
      const values = stringsOf(fs, 'Equals');
      if (values.length !== 1 || !['true', 'false'].includes(values[0] as string)) errors.push(`${fat}: Equals takes one value, "true" or "false"`);
    }
  }
  if (kind === 'Management') {
    const source = byField.get('eventSource');
    if (source !== undefined) {
      const ops = operatorsOf(source);
      const bad = stringsOf(source, 'NotEquals').filter((v) => !(EXCLUDABLE_SOURCES as readonly string[]).includes(v));
      if (ops.some((op) => op !== 'NotEquals') || bad.length > 0) errors.push(`${at}, field "eventSource": management selectors allow only NotEquals ${EXCLUDABLE_SOURCES.join(' or ')}`);
    }
    return;
  }
  if (kind === 'NetworkActivity') {
    const source = byField.get('eventSource');
    if (source === undefined || operatorsOf(source).some((op) => op !== 'Equals')) errors.push(`${at}, field "eventSource": network activity selectors need eventSource with Equals`);
    return;
  }
  const typeField = byField.get('resources.type');
  if (typeField === undefined) {
    errors.push(`${at}: data selectors need the field resources.type`);
    return;
  }
  const types = stringsOf(typeField, 'Equals');
  if (types.length !== 1) {
    errors.push(`${at}, field "resources.type": exactly one value (one resource type per selector)`);
    return;
  }
  const type = types[0] as string;
  if (!KNOWN_DATA_TYPES.has(type)) {
    if (/^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$/.test(type)) warnings.push(`${at}, field "resources.type": ${type} is not a type trailkit knows; sending it as given`);
    else errors.push(`${at}, field "resources.type": ${JSON.stringify(type)} is not a resource type (AWS::Service::Resource)`);
  }
  const arnField = byField.get('resources.ARN');
  const format = ARN_FORMATS[type];
  if (arnField !== undefined && format !== undefined) {
    for (const op of ['Equals', 'NotEquals']) {
      for (const v of stringsOf(arnField, op)) {
        if (!format.pattern.test(v)) errors.push(`${at}, field "resources.ARN", ${op}: ${JSON.stringify(v)} is not an exact ${type} ARN (${format.example}; use StartsWith for a prefix)`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Convenience flags

export type ManagementEvents = 'all' | 'read' | 'write' | 'none';

export interface SelectorFlags {
  managementEvents?: ManagementEvents;
  excludeKmsEvents?: boolean;
  excludeRdsDataApiEvents?: boolean;
  /** `all`, or `BUCKET` / `BUCKET/PREFIX` entries. */
  s3DataEvents?: readonly string[];
  /** `all`, or function ARNs. */
  lambdaDataEvents?: readonly string[];
  /** `all`, or table ARNs. */
  dynamodbDataEvents?: readonly string[];
}

export function hasSelectorFlags(flags: SelectorFlags): boolean {
  return flags.managementEvents !== undefined || flags.excludeKmsEvents === true || flags.excludeRdsDataApiEvents === true
    || (flags.s3DataEvents?.length ?? 0) > 0 || (flags.lambdaDataEvents?.length ?? 0) > 0 || (flags.dynamodbDataEvents?.length ?? 0) > 0;
}

function dataSelector(name: string, type: string, arnField: FieldSelector | undefined): AdvancedEventSelector {
  const fields: FieldSelector[] = [{ Field: 'eventCategory', Equals: ['Data'] }, { Field: 'resources.type', Equals: [type] }];
  if (arnField !== undefined) fields.push(arnField);
  return { Name: name, FieldSelectors: fields };
}

/**
 * The advanced selectors the convenience flags stand for. Management events default to `all`
 * when only data flags are given, since writing selectors replaces the trail's current ones.
 */
export function selectorsFromFlags(flags: SelectorFlags, partition = 'aws'): AdvancedEventSelector[] {
  const out: AdvancedEventSelector[] = [];
  const mgmt = flags.managementEvents ?? 'all';
  if (mgmt !== 'none') {
    const fields: FieldSelector[] = [{ Field: 'eventCategory', Equals: ['Management'] }];
    if (mgmt === 'read') fields.push({ Field: 'readOnly', Equals: ['true'] });
    if (mgmt === 'write') fields.push({ Field: 'readOnly', Equals: ['false'] });
    const excluded: string[] = [];
    if (flags.excludeKmsEvents === true) excluded.push('kms.amazonaws.com');
    if (flags.excludeRdsDataApiEvents === true) excluded.push('rdsdata.amazonaws.com');
    if (excluded.length > 0) fields.push({ Field: 'eventSource', NotEquals: excluded });
    out.push({ Name: mgmt === 'all' ? 'Management events' : `Management events (${mgmt} only)`, FieldSelectors: fields });
  }
  const s3 = flags.s3DataEvents ?? [];
  if (s3.length > 0) {
    if (s3.includes('all')) out.push(dataSelector('S3 data events', 'AWS::S3::Object', undefined));
    else {
      const prefixes = s3.map((entry) => {
        const slash = entry.indexOf('/');
        const bucket = slash < 0 ? entry : entry.slice(0, slash);
        const prefix = slash < 0 ? '' : entry.slice(slash + 1);
        return `arn:${partition}:s3:::${bucket}/${prefix}`;
      });
      out.push(dataSelector('S3 data events', 'AWS::S3::Object', { Field: 'resources.ARN', StartsWith: prefixes }));
    }
  }
  const lambda = flags.lambdaDataEvents ?? [];
  if (lambda.length > 0) out.push(dataSelector('Lambda data events', 'AWS::Lambda::Function', lambda.includes('all') ? undefined : { Field: 'resources.ARN', Equals: [...lambda] }));
  const dynamo = flags.dynamodbDataEvents ?? [];
  if (dynamo.length > 0) out.push(dataSelector('DynamoDB data events', 'AWS::DynamoDB::Table', dynamo.includes('all') ? undefined : { Field: 'resources.ARN', Equals: [...dynamo] }));
  return out;
}

/** Whether selectors record write management events (Insights needs them). */
export function recordsWriteManagementEvents(selectors: { basic?: BasicEventSelector[]; advanced?: AdvancedEventSelector[] }): boolean {
  if (selectors.advanced !== undefined && selectors.advanced.length > 0) {
    return selectors.advanced.some((s) => {
      const cat = s.FieldSelectors.find((f) => f.Field === 'eventCategory');
      if (cat?.Equals?.[0] !== 'Management') return false;
      const ro = s.FieldSelectors.find((f) => f.Field === 'readOnly');
      return ro === undefined || ro.Equals?.includes('false') === true;
    });
  }
  const basic = selectors.basic ?? [{ ReadWriteType: 'All', IncludeManagementEvents: true }];
  return basic.some((s) => s.IncludeManagementEvents !== false && (s.ReadWriteType ?? 'All') !== 'ReadOnly');
}

export const INSIGHT_TYPES: Record<string, string> = {
  'api-call-rate': 'ApiCallRateInsight',
  'api-error-rate': 'ApiErrorRateInsight',
  ApiCallRateInsight: 'ApiCallRateInsight',
  ApiErrorRateInsight: 'ApiErrorRateInsight',
};

/** `api-call-rate,api-error-rate` (or `none`) into insight types; throws on an unknown one. */
export function parseInsightTypes(items: readonly string[]): string[] {
  const out: string[] = [];
  for (const item of items.flatMap((i) => i.split(','))) {
    const name = item.trim();
    if (name === '' || name === 'none') continue;
    const type = INSIGHT_TYPES[name];
    if (type === undefined) throw new Error(`unknown insight type ${JSON.stringify(name)} (api-call-rate, api-error-rate or none)`);
    if (!out.includes(type)) out.push(type);
  }
  return out;
}

/**
 * A basic selector with AWS's defaults filled in, the way GetEventSelectors returns it:
 * ReadWriteType All, IncludeManagementEvents true, no data resources, no excluded sources.
 */
export function withBasicDefaults(selector: BasicEventSelector): BasicEventSelector {
  return {
    ...selector,
    ReadWriteType: selector.ReadWriteType ?? 'All',
    IncludeManagementEvents: selector.IncludeManagementEvents ?? true,
    DataResources: selector.DataResources ?? [],
    ExcludeManagementEventSources: selector.ExcludeManagementEventSources ?? [],
  };
}

/** Whether two lists of basic selectors mean the same, defaults filled in on both sides. */
export function sameBasicSelectors(a: readonly BasicEventSelector[] | undefined, b: readonly BasicEventSelector[] | undefined): boolean {
  const norm = (list: readonly BasicEventSelector[] | undefined) => list?.map((s) => (isObject(s) ? withBasicDefaults(s) : s));
  return sameSelectors(norm(a), norm(b));
}

/** Selectors in a form where equal meaning gives equal text (for plan comparison). */
export function sameSelectors(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(norm).map((x) => JSON.stringify(x)).sort();
    if (isObject(v)) {
      const o: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) {
        const x = v[k];
        if (x === undefined || x === null || (Array.isArray(x) && x.length === 0)) continue;
        o[k] = norm(x);
      }
      return o;
    }
    return v;
  };
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

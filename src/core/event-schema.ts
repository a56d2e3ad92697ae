/**
 * The one schema of a CloudTrail event as a table: the columns of AWS's Athena DDL for CloudTrail
 * (SPEC section 10, "Create the table for CloudTrail logs in Athena using partition projection"),
 * lower-case, with the record's JSON key for each. Athena's raw-JSON table, the Parquet index and
 * the `events` view of `trailkit query` are all derived from this list, so a column means the same
 * everywhere.
 *
 * The Parquet index stores the scalar and struct columns that questions filter on, plus the
 * record's exact JSON text (`raw`); the JSON-valued fields (`requestparameters`, ...) and the
 * high-entropy ids nobody ranges over are read from `raw` when a query asks for them, which keeps
 * the index smaller than the gzip files it was made from.
 */

export type ColumnType =
  | { readonly kind: 'string' }
  /** A JSON value kept as JSON text (Athena: STRING; DuckDB: JSON). */
  | { readonly kind: 'json' }
  | { readonly kind: 'map' }
  | { readonly kind: 'struct'; readonly fields: readonly Field[] }
  | { readonly kind: 'array'; readonly of: ColumnType };

export interface Field {
  /** The column or struct field name, lower-case as in AWS's DDL. */
  readonly name: string;
  /** The key in the CloudTrail record. */
  readonly key: string;
  readonly type: ColumnType;
}

const STRING: ColumnType = { kind: 'string' };
const JSON_TEXT: ColumnType = { kind: 'json' };
const s = (key: string): Field => ({ name: key.toLowerCase(), key, type: STRING });
const j = (key: string): Field => ({ name: key.toLowerCase(), key, type: JSON_TEXT });
const struct = (key: string, fields: Field[]): Field => ({ name: key.toLowerCase(), key, type: { kind: 'struct', fields } });

const SESSION_ISSUER = struct('sessionIssuer', [s('type'), s('principalId'), s('arn'), s('accountId'), s('userName')]);

export const USER_IDENTITY: Field = struct('userIdentity', [
  s('type'),
  s('principalId'),
  s('arn'),
  s('accountId'),
  s('invokedBy'),
  s('accessKeyId'),
  s('userName'),
  struct('onBehalfOf', [s('userId'), s('identityStoreArn')]),
  struct('sessionContext', [
    struct('attributes', [s('mfaAuthenticated'), s('creationDate')]),
    SESSION_ISSUER,
    s('ec2RoleDelivery'),
    struct('webIdFederationData', [s('federatedProvider'), { name: 'attributes', key: 'attributes', type: { kind: 'map' } }]),
  ]),
]);

export const RESOURCES: Field = { name: 'resources', key: 'resources', type: { kind: 'array', of: { kind: 'struct', fields: [s('ARN'), s('accountId'), s('type')] } } };

/** AWS's documented columns, in AWS's order. */
export const CLOUDTRAIL_COLUMNS: readonly Field[] = [
  s('eventVersion'),
  USER_IDENTITY,
  s('eventTime'),
  s('eventSource'),
  s('eventName'),
  s('awsRegion'),
  s('sourceIPAddress'),
  s('userAgent'),
  s('errorCode'),
  s('errorMessage'),
  j('requestParameters'),
  j('responseElements'),
  j('additionalEventData'),
  s('requestID'),
  s('eventID'),
  s('readOnly'),
  RESOURCES,
  s('eventType'),
  s('apiVersion'),
  s('recipientAccountId'),
  j('serviceEventDetails'),
  s('sharedEventID'),
  s('vpcEndpointId'),
  s('vpcEndpointAccountId'),
  s('eventCategory'),
  struct('addendum', [s('reason'), s('updatedFields'), s('originalRequestID'), s('originalEventID')]),
  s('sessionCredentialFromConsole'),
  j('edgeDeviceDetails'),
  struct('tlsDetails', [s('tlsVersion'), s('cipherSuite'), s('clientProvidedHostHeader')]),
];

/** Columns the Parquet index stores as such; every other column is read from `raw`. */
export const STORED_COLUMN_NAMES: ReadonlySet<string> = new Set([
  'useridentity',
  'eventtime',
  'eventsource',
  'eventname',
  'awsregion',
  'sourceipaddress',
  'errorcode',
  'readonly',
  'resources',
  'eventtype',
  'recipientaccountid',
  'eventcategory',
]);

/**
 * trailkit's own columns in the index: the record's JSON text exactly as `grep --output json`
 * prints it, where it came from, its place there, its time in epoch ms (canonical `eventTime`
 * only; null otherwise) and its source file's integrity verdict (`index --validate`).
 */
export const INDEX_EXTRA_COLUMNS = [
  { name: 'raw', duckdb: 'VARCHAR', athena: 'string' },
  { name: 'source', duckdb: 'VARCHAR', athena: 'string' },
  { name: 'record_index', duckdb: 'INTEGER', athena: 'int' },
  { name: 'event_ms', duckdb: 'BIGINT', athena: 'bigint' },
  { name: 'verdict', duckdb: 'VARCHAR', athena: 'string' },
] as const;

/** Partition columns of the Parquet index (`account=/region=/date=` folders). */
export const INDEX_PARTITIONS = ['account', 'region', 'date'] as const;

export const STORED_COLUMNS: readonly Field[] = CLOUDTRAIL_COLUMNS.filter((c) => STORED_COLUMN_NAMES.has(c.name));

/** DuckDB's type for a column. */
export function duckdbType(type: ColumnType): string {
  switch (type.kind) {
    case 'string':
      return 'VARCHAR';
    case 'json':
      return 'JSON';
    case 'map':
      return 'MAP(VARCHAR, VARCHAR)';
    case 'array':
      return `${duckdbType(type.of)}[]`;
    case 'struct':
      return `STRUCT(${type.fields.map((f) => `${quoteDuckdbIdent(f.name)} ${duckdbType(f.type)}`).join(', ')})`;
  }
}

/** The Hive/Athena DDL type of a column, as AWS's DDL writes it. */
export function athenaType(type: ColumnType): string {
  switch (type.kind) {
    case 'string':
    case 'json':
      return 'STRING';
    case 'map':
      return 'map<string,string>';
    case 'array':
      return `ARRAY<${athenaType(type.of)}>`;
    case 'struct':
      return `STRUCT<${type.fields.map((f) => `${f.name}: ${athenaType(f.type)}`).join(', ')}>`;
  }
}

/**
 * The structure argument of DuckDB's `from_json` for the record's keys (camelCase, as CloudTrail
 * writes them). An explicit structure, never auto-detection, which would turn
 * `requestParameters` into a union struct of whatever the sample held (SPEC section 10).
 */
export function jsonStructure(fields: readonly Field[]): string {
  const one = (type: ColumnType): unknown => {
    switch (type.kind) {
      case 'string':
        return 'VARCHAR';
      case 'json':
        return 'JSON';
      case 'map':
        return 'MAP(VARCHAR, VARCHAR)';
      case 'array':
        return [one(type.of)];
      case 'struct':
        return Object.fromEntries(type.fields.map((f) => [f.key, one(f.type)]));
    }
  };
  return JSON.stringify(Object.fromEntries(fields.map((f) => [f.key, one(f.type)])));
}

/** DuckDB reserves `first`, `last`, `role` and more; every generated identifier is quoted. */
export function quoteDuckdbIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

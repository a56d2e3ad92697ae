/**
 * The Athena tables for CloudTrail (SPEC section 10): AWS's current DDL (JsonSerDe with
 * CloudTrailInputFormat, lower-case columns, since November 2022) with partition projection, as
 * AWS's example writes it for one account and region; an organization trail's table with an
 * injected (or enum) account, an enum of regions and a date partition; and a table over the
 * Parquet index that `trailkit index` writes, with a view that adds the columns read from `raw`.
 *
 * The DDL is checked against the mistakes that make Athena return no rows without an error
 * (`ddlProblems`): a space in an enum list, LOCATION without its trailing slash, a template whose
 * placeholders are not the partition columns, a range in another format than the dates.
 */
import { athenaType, CLOUDTRAIL_COLUMNS, INDEX_EXTRA_COLUMNS, STORED_COLUMN_NAMES, STORED_COLUMNS, type Field } from './event-schema.js';
import { literal } from './sql-text.js';

export const JSON_SERDE = 'org.apache.hive.hcatalog.data.JsonSerDe';
export const CLOUDTRAIL_INPUT_FORMAT = 'com.amazon.emr.cloudtrail.CloudTrailInputFormat';
export const TEXT_OUTPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat';

export type AthenaLayout =
  /** AWS's example: one account and one region per table. */
  | { readonly kind: 'single'; readonly account: string; readonly region: string }
  /** An organization trail: `AWSLogs/o-id/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/`. */
  | { readonly kind: 'organization'; readonly orgId: string; readonly accounts?: readonly string[]; readonly regions: readonly string[] }
  /** The Parquet index under `s3://bucket/prefix/data/account=/region=/date=/`. */
  | { readonly kind: 'parquet'; readonly accounts?: readonly string[]; readonly regions: readonly string[] };

export interface AthenaDdlInput {
  readonly database?: string;
  readonly table: string;
  readonly bucket: string;
  /** The trail's key prefix (raw tables) or the index's prefix (parquet). */
  readonly prefix?: string;
  readonly layout: AthenaLayout;
  /** First day projected, `YYYY/MM/DD` (AWS's example: 2020/01/01). */
  readonly rangeStart: string;
}

export const NAME = /^[a-z_][a-z0-9_]{0,127}$/;

function tableName(input: AthenaDdlInput): string {
  return input.database === undefined ? input.table : `${input.database}.${input.table}`;
}

function cleanPrefix(prefix: string | undefined): string {
  const p = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  return p === '' ? '' : `${p}/`;
}

/** Columns as AWS's DDL lays them out: one per line, structs nested. */
function columnLines(fields: readonly Field[]): string {
  return fields.map((f) => `    ${f.name} ${athenaType(f.type)}`).join(',\n');
}

function properties(props: readonly [string, string][]): string {
  return `TBLPROPERTIES (\n${props.map(([k, v]) => `  ${literal(k)}=${literal(v)}`).join(',\n')})`;
}

function dateProjection(column: string, format: string, rangeStart: string): [string, string][] {
  const start = format === 'yyyy-MM-dd' ? rangeStart.replace(/\//g, '-') : rangeStart;
  return [
    [`projection.${column}.type`, 'date'],
    [`projection.${column}.format`, format],
    [`projection.${column}.interval`, '1'],
    [`projection.${column}.interval.unit`, 'DAYS'],
    [`projection.${column}.range`, `${start},NOW`],
  ];
}

function accountProjection(accounts: readonly string[] | undefined): [string, string][] {
  // Injected: any account, named in each query's WHERE clause (Athena requires it).
  if (accounts === undefined || accounts.length === 0) return [['projection.account.type', 'injected']];
  return [['projection.account.type', 'enum'], ['projection.account.values', accounts.join(',')]];
}

/** CREATE EXTERNAL TABLE for the log files, as AWS documents it. */
export function cloudTrailTableDdl(input: AthenaDdlInput): string {
  const root = `s3://${input.bucket}/${cleanPrefix(input.prefix)}AWSLogs/`;
  let partitions: string;
  let location: string;
  let props: [string, string][];
  const layout = input.layout;
  if (layout.kind === 'single') {
    location = `${root}${layout.account}/CloudTrail/${layout.region}/`;
    partitions = '   `timestamp` string';
    props = [['projection.enabled', 'true'], ...dateProjection('timestamp', 'yyyy/MM/dd', input.rangeStart), ['storage.location.template', `${location}\${timestamp}`]];
  } else if (layout.kind === 'organization') {
    location = `${root}${layout.orgId}/`;
    partitions = '   `account` string,\n   `region` string,\n   `timestamp` string';
    props = [
      ['projection.enabled', 'true'],
      ...accountProjection(layout.accounts),
      ['projection.region.type', 'enum'],
      ['projection.region.values', layout.regions.join(',')],
      ...dateProjection('timestamp', 'yyyy/MM/dd', input.rangeStart),
      ['storage.location.template', `${location}\${account}/CloudTrail/\${region}/\${timestamp}`],
    ];
  } else {
    throw new RangeError('use parquetTableDdl for the Parquet index');
  }
  return [
    `CREATE EXTERNAL TABLE ${tableName(input)}(`,
    `${columnLines(CLOUDTRAIL_COLUMNS)}`,
    '  )',
    'PARTITIONED BY (',
    `${partitions})`,
    `ROW FORMAT SERDE ${literal(JSON_SERDE)}`,
    `STORED AS INPUTFORMAT ${literal(CLOUDTRAIL_INPUT_FORMAT)}`,
    `OUTPUTFORMAT ${literal(TEXT_OUTPUT_FORMAT)}`,
    'LOCATION',
    `  ${literal(location)}`,
    properties(props),
  ].join('\n');
}

/**
 * The table over the Parquet index (the stored columns), and a view `<table>_events` with every
 * column of AWS's DDL, the others read from `raw` as the index's `events` view reads them.
 */
export function parquetTableDdl(input: AthenaDdlInput): string[] {
  const layout = input.layout;
  if (layout.kind !== 'parquet') throw new RangeError('parquetTableDdl needs the parquet layout');
  const location = `s3://${input.bucket}/${cleanPrefix(input.prefix)}data/`;
  const columns = [
    ...STORED_COLUMNS.map((f) => `    ${f.name} ${athenaType(f.type)}`),
    ...INDEX_EXTRA_COLUMNS.map((c) => `    ${c.name} ${c.athena}`),
  ];
  const table = [
    `CREATE EXTERNAL TABLE ${tableName(input)}(`,
    columns.join(',\n'),
    '  )',
    'PARTITIONED BY (',
    '   `account` string,\n   `region` string,\n   `date` string)',
    'STORED AS PARQUET',
    'LOCATION',
    `  ${literal(location)}`,
    properties([
      ['projection.enabled', 'true'],
      ...accountProjection(layout.accounts),
      ['projection.region.type', 'enum'],
      ['projection.region.values', layout.regions.join(',')],
      ...dateProjection('date', 'yyyy-MM-dd', input.rangeStart),
      ['storage.location.template', `${location}account=\${account}/region=\${region}/date=\${date}`],
      ['parquet.compression', 'ZSTD'],
    ]),
  ].join('\n');
  const derived = (f: Field): string => {
    const path = literal(`$.${f.key}`);
    if (STORED_COLUMN_NAMES.has(f.name)) return f.name;
    if (f.type.kind === 'string') return `json_extract_scalar(raw, ${path}) AS ${f.name}`;
    if (f.type.kind === 'json') return `json_format(json_extract(raw, ${path})) AS ${f.name}`;
    return `CAST(json_extract(raw, ${path}) AS ${trinoType(f)}) AS ${f.name}`;
  };
  const viewName = input.database === undefined ? `${input.table}_events` : `${input.database}.${input.table}_events`;
  const view = [
    `CREATE OR REPLACE VIEW ${viewName} AS SELECT`,
    [...CLOUDTRAIL_COLUMNS.map(derived), ...INDEX_EXTRA_COLUMNS.map((c) => c.name), '"account"', '"region"', '"date"'].map((c) => `  ${c}`).join(',\n'),
    `FROM ${tableName(input)}`,
  ].join('\n');
  return [table, view];
}

/** Trino's ROW type for a struct column (JSON casts to ROW by field name, case-insensitively). */
function trinoType(f: Field): string {
  const t = (type: Field['type']): string => {
    switch (type.kind) {
      case 'string':
      case 'json':
        return 'varchar';
      case 'map':
        return 'map(varchar, varchar)';
      case 'array':
        return `array(${t(type.of)})`;
      case 'struct':
        return `row(${type.fields.map((x) => `${x.name} ${t(x.type)}`).join(', ')})`;
    }
  };
  return t(f.type);
}

/**
 * What is wrong with a CREATE TABLE for partition projection, in the ways that make Athena return
 * no rows silently. An empty list means none of them.
 */
export function ddlProblems(ddl: string): string[] {
  const problems: string[] = [];
  const prop = (key: string): string | undefined => {
    const m = new RegExp(`'${key.replace(/\./g, '\\.')}'\\s*=\\s*'([^']*)'`).exec(ddl);
    return m?.[1];
  };
  const location = /LOCATION\s+'([^']*)'/.exec(ddl)?.[1];
  if (location === undefined) problems.push('no LOCATION');
  else if (!location.endsWith('/')) problems.push(`LOCATION '${location}' must end with '/' (without it Athena reads no files)`);
  const partitionBlock = /PARTITIONED BY \(([^)]*)\)/.exec(ddl)?.[1] ?? '';
  const partitions = [...partitionBlock.matchAll(/`?([a-z_]+)`?\s+string/gi)].map((m) => (m[1] as string).toLowerCase());
  if (prop('projection.enabled') !== 'true') problems.push("'projection.enabled' is not 'true'");
  const template = prop('storage.location.template');
  if (template === undefined) problems.push('no storage.location.template');
  else {
    const placeholders = [...template.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1] as string);
    for (const p of partitions) if (!placeholders.includes(p)) problems.push(`storage.location.template has no \${${p}} for the partition column ${p}`);
    for (const p of placeholders) if (!partitions.includes(p)) problems.push(`storage.location.template names \${${p}}, which is not a partition column`);
    if (location !== undefined && !template.startsWith(location)) problems.push('storage.location.template does not start with LOCATION');
  }
  for (const p of partitions) {
    const type = prop(`projection.${p}.type`);
    if (type === undefined) problems.push(`no projection.${p}.type for the partition column ${p}`);
    if (type === 'enum') {
      const values = prop(`projection.${p}.values`) ?? '';
      if (/\s/.test(values)) problems.push(`projection.${p}.values has white space ('${values}'): Athena takes ' us-east-1' as a value of its own and finds no rows for it`);
      if (values === '' || values.split(',').some((v) => v === '')) problems.push(`projection.${p}.values has an empty value`);
    }
    if (type === 'date') {
      const format = prop(`projection.${p}.format`);
      const range = prop(`projection.${p}.range`) ?? '';
      const [start, end] = range.split(',');
      const pattern = format === 'yyyy/MM/dd' ? /^\d{4}\/\d{2}\/\d{2}$/ : format === 'yyyy-MM-dd' ? /^\d{4}-\d{2}-\d{2}$/ : undefined;
      if (pattern === undefined) problems.push(`projection.${p}.format '${String(format)}' is not yyyy/MM/dd or yyyy-MM-dd`);
      else if (start === undefined || !pattern.test(start) || !(end === 'NOW' || (end !== undefined && pattern.test(end)))) problems.push(`projection.${p}.range '${range}' is not in the format ${String(format)}`);
      if (prop(`projection.${p}.interval.unit`) !== 'DAYS') problems.push(`projection.${p}.interval.unit is not DAYS`);
    }
  }
  return problems;
}

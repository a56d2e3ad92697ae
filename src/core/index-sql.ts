/**
 * The SQL that builds and reads the Parquet index (DuckDB dialect). Kept apart from the code that
 * runs it so that it can be read and tested as text.
 */
import { CLOUDTRAIL_COLUMNS, STORED_COLUMNS, STORED_COLUMN_NAMES, duckdbType, jsonStructure, quoteDuckdbIdent as q, type Field } from './event-schema.js';
import { literal } from './sql-text.js';

/** Fields parsed at ingestion: the stored columns, and the keys grep's shape check looks at. */
const INGEST_FIELDS: readonly Field[] = [
  ...STORED_COLUMNS,
  { name: 'eventid', key: 'eventID', type: { kind: 'string' } },
];

/** `YYYY-MM-DDTHH:MM:SSZ`, the form CloudTrail writes; other forms have no `event_ms`. */
const CANONICAL_TIME = '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$';

function eventMs(time: string): string {
  // strptime checks the calendar (no 30 February); seconds stop at 59 as in core/time-spec.ts.
  return `CASE WHEN regexp_full_match(${time}, ${literal(CANONICAL_TIME)}) AND CAST(substr(${time}, 18, 2) AS INTEGER) <= 59 THEN epoch_ms(try_strptime(${time}, '%Y-%m-%dT%H:%M:%SZ')) END`;
}

function partition(kind: 'account' | 'region' | 'date', value: string): string {
  const pattern = kind === 'account' ? '[0-9]{12}' : kind === 'region' ? '[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}' : '[0-9]{4}-[0-9]{2}-[0-9]{2}';
  return `CASE WHEN ${value} IS NULL THEN 'none' WHEN regexp_full_match(${value}, ${literal(pattern)}) THEN ${value} ELSE 'other' END`;
}

export interface IngestSqlInput {
  /** The rows file: `SOURCE_NO<TAB>RECORD_INDEX<TAB>JSON` lines. */
  readonly rowsFile: string;
  /** A table (source_no INTEGER, source VARCHAR, verdict VARCHAR). */
  readonly sourcesTable: string;
  /** The folder the partitioned files are written to. */
  readonly outDir: string;
  readonly filePrefix: string;
  /** Rows that DuckDB rejects go to `account=__rejected__/region=<reason>/` for the caller to judge; false: none is rejected. */
  readonly shapeCheck: boolean;
  readonly compressionLevel: number;
}

/** Reading the rows file: tab-separated, no quoting (the JSON text holds no tab or line break). */
export function rowsFileReader(rowsFile: string): string {
  return `read_csv(${literal(rowsFile)}, delim = '\\t', quote = '', escape = '', header = false, auto_detect = false, columns = {'source_no': 'INTEGER', 'record_index': 'INTEGER', 'raw': 'VARCHAR'}, max_line_size = 67108864, buffer_size = 134217728)`;
}

function storedSelect(alias: string): string[] {
  return STORED_COLUMNS.map((c) => {
    const value = `${alias}.${q(c.key)}`;
    // The record's keys are camelCase; the columns (and struct fields) lower-case, as in AWS's DDL.
    return c.type.kind === 'struct' || c.type.kind === 'array' ? `CAST(${value} AS ${duckdbType(c.type)}) AS ${q(c.name)}` : `${value} AS ${q(c.name)}`;
  });
}

/** The COPY that turns a rows file into partitioned zstd Parquet files. */
export function ingestCopySql(input: IngestSqlInput): string {
  const j = 'j';
  const rejectReason = input.shapeCheck
    ? `CASE WHEN ${j} IS NULL THEN 'invalid' WHEN starts_with(${j}.eventSource, 'aws:') THEN 'notification' WHEN ${j}.eventSource IS NULL AND ${j}.eventName IS NULL AND ${j}.eventTime IS NULL AND ${j}.eventID IS NULL AND ${j}.userIdentity IS NULL THEN 'other' END`
    : 'CAST(NULL AS VARCHAR)';
  const inner = `SELECT TRY(from_json(t.raw, ${literal(jsonStructure(INGEST_FIELDS))})) AS ${j}, t.raw, t.source_no, t.record_index FROM ${rowsFileReader(input.rowsFile)} t`;
  const select = [
    ...storedSelect(j),
    'p.raw',
    's.source',
    'p.record_index',
    `${eventMs(`${j}.eventTime`)} AS event_ms`,
    's.verdict',
    `CASE WHEN reject IS NOT NULL THEN '__rejected__' ELSE ${partition('account', `coalesce(${j}.recipientAccountId, ${j}.userIdentity.accountId)`)} END AS account`,
    `CASE WHEN reject IS NOT NULL THEN reject ELSE ${partition('region', `${j}.awsRegion`)} END AS region`,
    `CASE WHEN reject IS NOT NULL THEN 'x' ELSE ${partition('date', `CASE WHEN ${eventMs(`${j}.eventTime`)} IS NOT NULL THEN substr(${j}.eventTime, 1, 10) ELSE 'x' END`)} END AS date`,
  ];
  return [
    `COPY (`,
    `  SELECT ${select.join(',\n    ')}`,
    `  FROM (SELECT *, ${rejectReason} AS reject FROM (${inner})) p`,
    `  JOIN ${input.sourcesTable} s ON s.source_no = p.source_no`,
    `) TO ${literal(input.outDir)} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL ${input.compressionLevel}, ROW_GROUP_SIZE 20000, PARTITION_BY (account, region, date), FILENAME_PATTERN ${literal(`${input.filePrefix}_{i}`)}, OVERWRITE_OR_IGNORE true)`,
  ].join('\n');
}

/** Expressions of the `events` view for the columns read from `raw`. */
function derivedColumn(c: Field): string {
  const path = literal(`$.${c.key}`);
  switch (c.type.kind) {
    case 'string':
      return `json_extract_string(raw, ${path}) AS ${q(c.name)}`;
    case 'json':
      return `json_extract(raw, ${path}) AS ${q(c.name)}`;
    default:
      return `CAST(TRY(from_json(json_extract(raw, ${path}), ${literal(jsonStructure([{ ...c, key: 'v' }]).replace(/^\{"v":|\}$/g, ''))})) AS ${duckdbType(c.type)}) AS ${q(c.name)}`;
  }
}

/** The columns of `events`: AWS's DDL columns in AWS's order, then trailkit's and the partitions. */
export function eventsViewColumns(partitions: boolean): string[] {
  const columns = CLOUDTRAIL_COLUMNS.map((c) => (STORED_COLUMN_NAMES.has(c.name) ? q(c.name) : derivedColumn(c)));
  columns.push('raw', 'source', 'record_index', 'event_ms', 'verdict');
  if (partitions) columns.push(q('account'), q('region'), q('date'));
  return columns;
}

/** `CREATE VIEW events` over the stored table or Parquet reader `from`. */
export function eventsViewSql(from: string, partitions: boolean): string {
  return `CREATE OR REPLACE VIEW events AS SELECT ${eventsViewColumns(partitions).join(',\n  ')}\nFROM ${from}`;
}

/** The Parquet reader over the live files of an index. */
export function partsReader(paths: readonly string[]): string {
  return `read_parquet([${paths.map(literal).join(', ')}], hive_partitioning = true, hive_types = {'account': VARCHAR, 'region': VARCHAR, 'date': VARCHAR})`;
}

/** An empty table with the stored schema, for an index with no file yet. */
export function emptyStoredTableSql(name: string): string {
  const columns = [
    ...STORED_COLUMNS.map((c) => `${q(c.name)} ${duckdbType(c.type)}`),
    'raw VARCHAR',
    'source VARCHAR',
    'record_index INTEGER',
    'event_ms BIGINT',
    'verdict VARCHAR',
    'account VARCHAR',
    'region VARCHAR',
    'date VARCHAR',
  ];
  return `CREATE OR REPLACE TABLE ${name} (${columns.join(', ')})`;
}

/** grep's order of records: the walk's order of files (path by path segment), then position. */
export const SOURCE_ORDER = `replace(source, '/', chr(1)), record_index`;

/**
 * The SQL that builds and reads the Parquet index (DuckDB dialect). Kept apart from the code that
 * runs it so that it can be read and tested as text.
 */
import { CLOUDTRAIL_COLUMNS, STORED_COLUMNS, STORED_COLUMN_NAMES, duckdbType, jsonStructure, quoteDuckdbIdent as q, type Field } from './event-schema.js';
import { literal } from './sql-text.js';

/** Fields parsed at ingestion: the stored columns, and the keys grep's shape check looks at. */
const INGEST_FIELDS: readonly Field[] = [
  ...STORED_COLUMNS.map((c) => (c.name === 'recipientaccountid' ? { ...c, type: { kind: 'json' } as const } : c)),
  { name: 'eventid', key: 'eventID', type: { kind: 'string' } },
];

/**
 * Epoch ms of CloudTrail's canonical `YYYY-MM-DDTHH:MM:SSZ` (the only form CloudTrail writes), as
 * core/time-spec.ts parseEventTime reads it: strptime checks the digits and the calendar (no 30
 * February), the length leaves no room for more, seconds stop at 59. Other forms get NULL, and
 * grep's parser decides for them.
 */
function eventMs(time: string): string {
  return `CASE WHEN length(${time}) = 20 AND substr(${time}, 18, 2) <= '59' THEN epoch_ms(try_strptime(${time}, '%Y-%m-%dT%H:%M:%SZ')) END`;
}

/**
 * A partition value as a folder name: only the characters a well-formed value has, so a hostile
 * `awsRegion` (`../../x`) can never name a folder outside the index. Checked with ltrim over a
 * character set rather than a regular expression: this runs once per record.
 */
function partition(kind: 'account' | 'region' | 'date', value: string): string {
  const ok = kind === 'account'
    ? `length(${value}) = 12 AND ltrim(${value}, '0123456789') = ''`
    : kind === 'region'
      ? `length(${value}) BETWEEN 9 AND 25 AND ltrim(${value}, 'abcdefghijklmnopqrstuvwxyz0123456789-') = '' AND strpos(${value}, '-') > 1`
      : `length(${value}) = 10 AND ltrim(${value}, '0123456789-') = ''`;
  return `CASE WHEN ${value} IS NULL THEN 'none' WHEN ${ok} THEN ${value} ELSE 'other' END`;
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

/**
 * Reading the rows file: tab-separated, no quoting (the JSON text holds no tab or line break). A
 * line holds one record of at most 8 MB (MAX_RECORD_BYTES) and its numbers; DuckDB reads the file
 * in buffers of this size on each thread.
 */
export function rowsFileReader(rowsFile: string): string {
  return `read_csv(${literal(rowsFile)}, delim = '\\t', quote = '', escape = '', header = false, auto_detect = false, columns = {'source_no': 'INTEGER', 'record_index': 'INTEGER', 'raw': 'VARCHAR'}, max_line_size = 16777216, buffer_size = 16777216)`;
}

function storedSelect(alias: string): string[] {
  return STORED_COLUMNS.map((c) => {
    const value = `${alias}.${q(c.key)}`;
    // The record's keys are camelCase; the columns (and struct fields) lower-case, as in AWS's DDL.
    if (c.name === 'recipientaccountid') return `json_extract_string(${value}, '$') AS ${q(c.name)}`;
    return c.type.kind === 'struct' || c.type.kind === 'array' ? `CAST(${value} AS ${duckdbType(c.type)}) AS ${q(c.name)}` : `${value} AS ${q(c.name)}`;
  });
}

/**
 * The Parquet writer's settings, shared by every COPY that writes part files. A string column
 * whose dictionary page would pass 64 KB is written without a dictionary: `raw` (a record's whole
 * text, all different) then goes straight to plain encoding instead of being hashed into a
 * dictionary that is thrown away, which took a tenth of a COPY's time on the benchmark archive;
 * the columns of few values (event names, regions, accounts, ARNs within a row group) keep theirs.
 */
export function parquetOptions(compressionLevel: number, rowGroupSize: number): string {
  return `FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL ${compressionLevel}, ROW_GROUP_SIZE ${rowGroupSize}, STRING_DICTIONARY_PAGE_SIZE_LIMIT 65536`;
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
    `CASE WHEN reject IS NOT NULL THEN '__rejected__' ELSE ${partition('account', `CASE WHEN starts_with(CAST(${j}.recipientAccountId AS VARCHAR), '"') THEN json_extract_string(${j}.recipientAccountId, '$') ELSE ${j}.userIdentity.accountId END`)} END AS account`,
    `CASE WHEN reject IS NOT NULL THEN reject ELSE ${partition('region', `${j}.awsRegion`)} END AS region`,
    `CASE WHEN reject IS NOT NULL THEN 'x' WHEN ${eventMs(`${j}.eventTime`)} IS NULL THEN 'other' ELSE substr(${j}.eventTime, 1, 10) END AS date`,
  ];
  return [
    `COPY (`,
    `  SELECT ${select.join(',\n    ')}`,
    `  FROM (SELECT *, ${rejectReason} AS reject FROM (${inner})) p`,
    `  JOIN ${input.sourcesTable} s ON s.source_no = p.source_no`,
    `) TO ${literal(input.outDir)} (${parquetOptions(input.compressionLevel, 5000)}, PARTITION_BY (account, region, date), FILENAME_PATTERN ${literal(`${input.filePrefix}_{i}`)}, OVERWRITE_OR_IGNORE true)`,
  ].join('\n');
}

/** Expressions of the `events` view for the columns read from `raw`. */
function derivedColumn(c: Field): string {
  const path = literal(`$.${c.key}`);
  switch (c.type.kind) {
    case 'string':
      return `TRY(json_extract_string(raw, ${path})) AS ${q(c.name)}`;
    case 'json':
      return `TRY(json_extract(raw, ${path})) AS ${q(c.name)}`;
    default:
      return `CAST(TRY(from_json(TRY(json_extract(raw, ${path})), ${literal(jsonStructure([{ ...c, key: 'v' }]).replace(/^\{"v":|\}$/g, ''))})) AS ${duckdbType(c.type)}) AS ${q(c.name)}`;
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

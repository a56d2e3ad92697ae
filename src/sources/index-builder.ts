/**
 * Builds or extends a Parquet index from source documents (files or S3 objects), in batches: the
 * records' JSON text goes to a rows file, DuckDB parses it on its own threads and writes zstd
 * Parquet partitioned by account, region and day, and the batch is committed (index-store.ts).
 * While DuckDB writes one batch, the next one is read and scanned.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { jsonSyntaxReason, TrailkitError } from '../core/errors.js';
import { ingestCopySql } from '../core/index-sql.js';
import { nextBatchName, sourceStatus, type BatchManifest, type IndexState, type PartEntry, type SourceEntry, type SourceFacts, type SourceVerdict, INDEX_FORMAT, INDEX_VERSION } from '../core/index-manifest.js';
import { cloudTrailShape } from '../core/record.js';
import { literal } from '../core/sql-text.js';
import { duckMessage, openDuck, type DuckSession } from './duckdb.js';
import { isGzip } from './file-search.js';
import { addProblem, documentRows } from './index-rows.js';
import { walkFiles, type LocalIndex } from './index-store.js';

const gunzipAsync = promisify(gunzip);
const MAX_DECOMPRESSED_BYTES = 2 ** 31 - 1;

/** One source to index: what identifies its content, and how to read its bytes. */
export interface IndexSource extends SourceFacts {
  /** The integrity verdict of `--validate`, when it ran. */
  readonly verdict?: SourceVerdict;
  read(): Promise<Buffer>;
}

/** What happened to one source, for the command to report as grep reports a file. */
export interface SourceOutcome {
  readonly id: string;
  readonly status: 'new' | 'changed' | 'same';
  readonly bytes: number;
  readonly events: number;
  readonly problems: readonly string[];
  readonly notCloudTrail: number;
  readonly error?: string;
}

export interface BuildOptions {
  /** JSON bytes per batch (default 64 MB): what one DuckDB COPY turns into Parquet. */
  readonly batchBytes?: number;
  /** zstd level of the Parquet files (default 3). */
  readonly compressionLevel?: number;
  /** DuckDB's memory limit (default 256MB). */
  readonly memoryLimit?: string;
  readonly threads?: number;
  /** Sources read at once (S3 fetches). */
  readonly concurrency?: number;
  readonly onOutcome?: (outcome: SourceOutcome) => void;
  readonly onBatch?: (batch: string, rows: number) => void;
  readonly now?: () => number;
}

export interface BuildResult {
  readonly sources: number;
  readonly skipped: number;
  readonly indexed: number;
  readonly changed: number;
  readonly failed: number;
  readonly events: number;
  readonly batches: number;
  readonly recovered: number;
}

interface PendingSource {
  readonly no: number;
  readonly facts: IndexSource;
  readonly status: 'new' | 'changed';
  events: number;
  problems: string[];
  notCloudTrail: number;
  error?: string;
  readonly bytes: number;
}

interface Batch {
  readonly name: string;
  readonly rowsFile: string;
  readonly stream: WriteStream;
  readonly sources: PendingSource[];
  bytes: number;
  rows: number;
}

const NEWLINE = Buffer.from('\n');

/** Decompresses on libuv's thread pool (several sources at once), as `grep --bucket` does. */
async function decode(bytes: Buffer): Promise<{ document: Buffer; decoded: boolean }> {
  if (!isGzip(bytes)) return { document: bytes, decoded: false };
  try {
    return { document: await gunzipAsync(bytes, { maxOutputLength: MAX_DECOMPRESSED_BYTES }), decoded: true };
  } catch {
    // The synchronous decoder in documentRows reports it with grep's words.
    return { document: bytes, decoded: false };
  }
}

export class IndexBuilder {
  private state!: IndexState;
  private duck!: DuckSession;
  private batch: Batch | undefined;
  private inFlight: Promise<void> | undefined;
  private batchCount = 0;
  private unlock: (() => Promise<void>) | undefined;
  private readonly result = { sources: 0, skipped: 0, indexed: 0, changed: 0, failed: 0, events: 0, batches: 0, recovered: 0 };

  constructor(private readonly index: LocalIndex, private readonly options: BuildOptions = {}) {}

  private get batchBytes(): number {
    return this.options.batchBytes ?? 64 * 1024 * 1024;
  }

  async open(): Promise<void> {
    await this.index.create();
    this.unlock = await this.index.lock();
    try {
      this.state = await this.index.load('--to');
      this.result.recovered = await this.index.recover(this.state);
      await mkdir(this.index.stagingDir, { recursive: true });
      this.duck = await openDuck({
        memoryLimit: this.options.memoryLimit ?? '256MB',
        tempDirectory: join(this.index.stagingDir, 'spill'),
        ...(this.options.threads === undefined ? {} : { threads: this.options.threads }),
      });
      // An archive of many accounts, regions and days has many partitions: DuckDB keeps a writer
      // (and its row group) open per partition, so at most a few are open at once, flushed early.
      await this.run('SET partitioned_write_max_open_files = 8');
      await this.run('SET partitioned_write_flush_threshold = 5000');
    } catch (error) {
      await this.unlock();
      this.unlock = undefined;
      throw error;
    }
  }

  /** The status a source would get, before its bytes are read. */
  status(facts: SourceFacts, verdict?: SourceVerdict): 'new' | 'changed' | 'same' {
    return sourceStatus(this.state, facts, verdict);
  }

  /** Indexes the sources that are new or changed; the others are skipped without being read. */
  async addAll(sources: AsyncIterable<IndexSource> | Iterable<IndexSource>): Promise<void> {
    const concurrency = Math.max(1, this.options.concurrency ?? 4);
    const window: Promise<{ source: IndexSource; status: 'new' | 'changed'; bytes?: Buffer; error?: unknown }>[] = [];
    const drain = async () => {
      const next = window.shift();
      if (next === undefined) return;
      const item = await next;
      await this.take(item.source, item.status, item.bytes, item.error);
    };
    for await (const source of sources) {
      this.result.sources++;
      const status = this.status(source, source.verdict);
      if (status === 'same') {
        this.result.skipped++;
        this.options.onOutcome?.({ id: source.id, status, bytes: source.size, events: this.state.sources.get(source.id)?.events ?? 0, problems: [], notCloudTrail: 0 });
        continue;
      }
      window.push(source.read().then((bytes) => ({ source, status, bytes }), (error: unknown) => ({ source, status, error })));
      if (window.length >= concurrency) await drain();
    }
    while (window.length > 0) await drain();
  }

  private async take(source: IndexSource, status: 'new' | 'changed', bytes: Buffer | undefined, readError: unknown): Promise<void> {
    const batch = await this.currentBatch();
    const pending: PendingSource = { no: batch.sources.length, facts: source, status, events: 0, problems: [], notCloudTrail: 0, bytes: bytes?.length ?? source.size };
    batch.sources.push(pending);
    if (bytes === undefined) {
      pending.error = readError instanceof Error ? readError.message : String(readError);
      return;
    }
    const { document, decoded } = await decode(bytes);
    const chunks: Buffer[] = [];
    const prefixOf = (index: number) => Buffer.from(`${pending.no}\t${index}\t`);
    const rows = documentRows(document, source.id, (index, text) => {
      chunks.push(prefixOf(index), typeof text === 'string' ? Buffer.from(text, 'utf8') : text, NEWLINE);
    }, { decoded });
    if (rows.error !== undefined) {
      pending.error = rows.error;
      return;
    }
    pending.problems = rows.problems;
    pending.notCloudTrail = rows.notCloudTrail;
    pending.events = rows.rows;
    if (chunks.length > 0) {
      const data = Buffer.concat(chunks);
      batch.bytes += data.length;
      batch.rows += rows.rows;
      if (!batch.stream.write(data)) await once(batch.stream, 'drain');
    }
    if (batch.bytes >= this.batchBytes) await this.flush();
  }

  private async currentBatch(): Promise<Batch> {
    if (this.batch !== undefined) return this.batch;
    const now = this.options.now?.() ?? Date.now();
    // The batch name must sort after every committed one and after the one still being written.
    const name = nextBatchName({ ...this.state, batches: [...this.state.batches, ...(this.lastBatchName === undefined ? [] : [this.lastBatchName])] }, now, randomBytes(4).toString('hex'));
    this.lastBatchName = name;
    const rowsFile = join(this.index.stagingDir, `${name}.rows`);
    this.batch = { name, rowsFile, stream: createWriteStream(rowsFile), sources: [], bytes: 0, rows: 0 };
    return this.batch;
  }

  private lastBatchName: string | undefined;

  /** Hands the current batch to DuckDB; waits for the previous one first (one batch in flight). */
  private async flush(): Promise<void> {
    const batch = this.batch;
    if (batch === undefined) return;
    this.batch = undefined;
    batch.stream.end();
    await once(batch.stream, 'close');
    if (this.inFlight !== undefined) await this.inFlight;
    this.inFlight = this.writeBatch(batch);
    // An error surfaces at the next flush or at finish.
    this.inFlight.catch(() => undefined);
  }

  async finish(): Promise<BuildResult> {
    try {
      await this.flush();
      if (this.inFlight !== undefined) await this.inFlight;
      return { ...this.result };
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    this.duck?.close();
    await rm(this.index.stagingDir, { recursive: true, force: true }).catch(() => undefined);
    if (this.unlock !== undefined) await this.unlock();
    this.unlock = undefined;
  }

  private async run(sql: string): Promise<void> {
    try {
      await this.duck.connection.run(sql);
    } catch (error) {
      throw new TrailkitError('engine', `DuckDB: ${duckMessage(error)}`);
    }
  }

  private async rows<T>(sql: string): Promise<T[]> {
    try {
      return (await this.duck.connection.runAndReadAll(sql)).getRowObjectsJS() as T[];
    } catch (error) {
      throw new TrailkitError('engine', `DuckDB: ${duckMessage(error)}`);
    }
  }

  private async writeBatch(batch: Batch): Promise<void> {
    const staging = join(this.index.stagingDir, batch.name);
    const table = `sources_${batch.name.replace(/[^A-Za-z0-9]/g, '_')}`;
    await this.run(`CREATE OR REPLACE TEMP TABLE ${table} (source_no INTEGER, source VARCHAR, verdict VARCHAR)`);
    for (let i = 0; i < batch.sources.length; i += 500) {
      const values = batch.sources.slice(i, i + 500).map((s) => `(${s.no}, ${literal(s.facts.id)}, ${s.facts.verdict === undefined ? 'NULL' : literal(s.facts.verdict)})`);
      if (values.length > 0) await this.run(`INSERT INTO ${table} VALUES ${values.join(', ')}`);
    }
    const level = this.options.compressionLevel ?? 3;
    if (batch.rows > 0) {
      await this.run(ingestCopySql({ rowsFile: batch.rowsFile, sourcesTable: table, outDir: staging, filePrefix: batch.name, shapeCheck: true, compressionLevel: level }));
      await this.judgeRejected(batch, table, staging, level);
    }
    await rm(batch.rowsFile, { force: true });

    // Sources that changed: the live files holding their old events are written again without them.
    const changedIds = batch.sources.filter((s) => s.status === 'changed').map((s) => s.facts.id);
    const rewritten = new Set<string>();
    for (const id of changedIds) for (const part of this.state.sources.get(id)?.parts ?? []) if (this.state.parts.has(part)) rewritten.add(part);
    let n = 0;
    for (const part of [...rewritten].sort()) {
      const from = join(this.index.root, ...part.split('/'));
      const dir = part.split('/').slice(1, 4).join('/');
      const to = join(staging, ...dir.split('/'), `${batch.name}_r${n++}.parquet`);
      await mkdir(join(to, '..'), { recursive: true });
      const keep = await this.rows<{ n: bigint | number }>(`SELECT count(*) AS n FROM read_parquet(${literal(from)}, hive_partitioning = false) WHERE source NOT IN (${changedIds.map(literal).join(', ')})`);
      if (Number(keep[0]?.n ?? 0) === 0) continue;
      await this.run(`COPY (SELECT * FROM read_parquet(${literal(from)}, hive_partitioning = false) WHERE source NOT IN (${changedIds.map(literal).join(', ')})) TO ${literal(to)} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL ${level}, ROW_GROUP_SIZE 20000)`);
    }

    // What was written, file by file, and which sources each holds.
    const files = (await walkFiles(staging)).filter((f) => f.endsWith('.parquet'));
    const added: PartEntry[] = [];
    const partsOf = new Map<string, Set<string>>();
    const staged: { from: string; to: string }[] = [];
    if (files.length > 0) {
      const list = `[${files.map(literal).join(', ')}]`;
      const counts = await this.rows<{ file_name: string; num_rows: bigint | number }>(`SELECT file_name, num_rows FROM parquet_file_metadata(${list})`);
      const holders = await this.rows<{ filename: string; source: string }>(`SELECT DISTINCT filename, source FROM read_parquet(${list}, hive_partitioning = false, filename = true)`);
      for (const file of files) {
        const rel = relative(staging, file).split(sep).join('/');
        const to = `data/${rel}`;
        staged.push({ from: file, to });
        added.push({ path: to, rows: Number(counts.find((c) => c.file_name === file)?.num_rows ?? 0) });
      }
      for (const h of holders) {
        const to = `data/${relative(staging, h.filename).split(sep).join('/')}`;
        let set = partsOf.get(h.source);
        if (set === undefined) partsOf.set(h.source, (set = new Set()));
        set.add(to);
      }
    }
    const removedParts = [...rewritten];
    const removedSet = new Set(removedParts);
    const entries: SourceEntry[] = [];
    for (const s of batch.sources) {
      entries.push({
        id: s.facts.id,
        size: s.facts.size,
        ...(s.facts.etag === undefined ? {} : { etag: s.facts.etag }),
        ...(s.facts.sha256 === undefined ? {} : { sha256: s.facts.sha256 }),
        ...(s.facts.mtimeMs === undefined ? {} : { mtimeMs: s.facts.mtimeMs }),
        events: s.error === undefined ? s.events : 0,
        ...(s.facts.verdict === undefined ? {} : { verdict: s.facts.verdict }),
        ...(s.error === undefined ? {} : { error: s.error }),
        parts: [...(partsOf.get(s.facts.id) ?? [])].sort(),
      });
    }
    // Unchanged sources whose files were rewritten: their events now live in the new files.
    const inBatch = new Set(batch.sources.map((s) => s.facts.id));
    for (const [id, entry] of this.state.sources) {
      if (inBatch.has(id) || !entry.parts.some((p) => removedSet.has(p))) continue;
      const parts = new Set(entry.parts.filter((p) => !removedSet.has(p)));
      for (const p of partsOf.get(id) ?? []) parts.add(p);
      entries.push({ ...entry, parts: [...parts].sort() });
    }
    const manifest: BatchManifest = {
      format: INDEX_FORMAT,
      version: INDEX_VERSION,
      batch: batch.name,
      committedAt: new Date(this.options.now?.() ?? Date.now()).toISOString(),
      sources: entries,
      addedParts: added,
      removedParts,
    };
    await this.index.commit(manifest, staged);
    await rm(staging, { recursive: true, force: true });
    for (const removed of removedParts) this.state.parts.delete(removed);
    for (const part of added) this.state.parts.set(part.path, part);
    for (const entry of entries) this.state.sources.set(entry.id, entry);
    this.state.batches.push(batch.name);
    this.result.batches++;
    this.batchCount++;
    for (const s of batch.sources) {
      if (s.error !== undefined) this.result.failed++;
      else if (s.status === 'changed') this.result.changed++;
      else this.result.indexed++;
      this.result.events += s.error === undefined ? s.events : 0;
      this.options.onOutcome?.({ id: s.facts.id, status: s.status, bytes: s.bytes, events: s.error === undefined ? s.events : 0, problems: s.problems, notCloudTrail: s.notCloudTrail, ...(s.error === undefined ? {} : { error: s.error }) });
    }
    this.options.onBatch?.(batch.name, batch.rows);
  }

  /**
   * Records DuckDB could not take as CloudTrail events are judged here with grep's own rules:
   * JSON.parse decides validity (its message is grep's), cloudTrailShape decides the rest. Those
   * grep would print are written again without DuckDB's shape check.
   */
  private async judgeRejected(batch: Batch, table: string, staging: string, level: number): Promise<void> {
    const dir = join(staging, 'account=__rejected__');
    try {
      await stat(dir);
    } catch {
      return;
    }
    const files = (await walkFiles(dir)).filter((f) => f.endsWith('.parquet'));
    const rejected = await this.rows<{ source: string; record_index: number; raw: string; region: string }>(
      `SELECT source, record_index, raw, region FROM read_parquet([${files.map(literal).join(', ')}], hive_partitioning = true) ORDER BY source, record_index`,
    );
    await rm(dir, { recursive: true, force: true });
    const byId = new Map(batch.sources.map((s) => [s.facts.id, s]));
    const keep: Buffer[] = [];
    for (const row of rejected) {
      const source = byId.get(row.source);
      if (source === undefined) continue;
      let record: unknown;
      try {
        record = JSON.parse(row.raw);
      } catch (error) {
        addProblem(source.problems, row.record_index, jsonSyntaxReason(error));
        source.events--;
        continue;
      }
      if (cloudTrailShape(record) !== 'cloudtrail') {
        source.notCloudTrail++;
        source.events--;
        continue;
      }
      keep.push(Buffer.from(`${source.no}\t${row.record_index}\t`), Buffer.from(row.raw, 'utf8'), NEWLINE);
    }
    if (keep.length === 0) return;
    const rowsFile = join(this.index.stagingDir, `${batch.name}.kept.rows`);
    const stream = createWriteStream(rowsFile);
    stream.end(Buffer.concat(keep));
    await once(stream, 'close');
    await this.run(ingestCopySql({ rowsFile, sourcesTable: table, outDir: staging, filePrefix: `${batch.name}k`, shapeCheck: false, compressionLevel: level }));
    await rm(rowsFile, { force: true });
  }
}

/**
 * Builds or extends a Parquet index from source documents (files or S3 objects), in batches: the
 * records' JSON text goes to a rows file, DuckDB parses it on its own threads and writes zstd
 * Parquet partitioned by account, region and day, and the batch is committed (index-store.ts).
 * While DuckDB writes one batch, the next one is read and scanned.
 *
 * Memory is bounded whatever the input, as grep bounds it: a source is read in one piece (several
 * ahead, within MAX_BYTES_IN_FLIGHT) and gunzipped in one piece at its turn only up to
 * WHOLE_DOCUMENT_BYTES; a larger one is streamed through grep's decompression-bomb guard, holding
 * only the record being read.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { jsonSyntaxReason, TrailkitError } from '../core/errors.js';
import { ingestCopySql, parquetOptions, type IngestSqlInput } from '../core/index-sql.js';
import { nextBatchName, sourceStatus, type BatchManifest, type IndexState, type PartEntry, type SourceEntry, type SourceFacts, type SourceVerdict, INDEX_FORMAT, INDEX_VERSION } from '../core/index-manifest.js';
import { cloudTrailShape } from '../core/record.js';
import { literal } from '../core/sql-text.js';
import { duckMessage, openDuck, type DuckSession } from './duckdb.js';
import { documentChunks, isGzip, STREAM_CHUNK_BYTES, WHOLE_DOCUMENT_BYTES } from './file-search.js';
import { InflatesPastLimit, WholeGunzip } from './gunzip-whole.js';
import { addProblem, documentRows, invalidRecord, RowExtractor, type DocumentRows } from './index-rows.js';
import { TOO_LARGE, type IndexSource } from './index-sources.js';
import { walkFiles, type LocalIndex } from './index-store.js';

export type { IndexSource } from './index-sources.js';


/** DuckDB's memory limit while it writes, unless the command says otherwise. */
const DEFAULT_MEMORY_LIMIT = '256MB';

/** Average bytes of a batch's rows above which DuckDB writes it on one thread (see ingest). */
const WIDE_ROW_BYTES = 2048;

/** DuckDB's "Out of Memory Error" (its buffer pool is full at the memory limit). */
function isOutOfMemory(error: unknown): boolean {
  return /^Out of Memory Error/i.test(duckMessage(error));
}

/** Bytes that sources read ahead of the one being scanned may hold, whatever their number. */
export const MAX_BYTES_IN_FLIGHT = 96 * 1024 * 1024;

/** What reading a source of `size` bytes ahead of its turn holds: its bytes (it is inflated at its turn). */
function footprint(size: number): number {
  return Math.min(Math.max(size, 0), WHOLE_DOCUMENT_BYTES) + 4096;
}

/** One source file's outcome, once it is committed (or known to be unchanged). */
export interface SourceOutcome {
  /** Its absolute path, or s3://bucket/key. */
  readonly id: string;
  readonly status: 'new' | 'changed' | 'same';
  readonly bytes: number;
  readonly events: number;
  /** What was wrong with parts of it (a broken record); its other events are indexed. */
  readonly problems: readonly string[];
  /** Records that are not CloudTrail events (skipped). */
  readonly notCloudTrail: number;
  /** Set when it could not be read to its end: `events` are those before the failure; it is read again on the next run. */
  readonly error?: string;
}

/** The warning for a source with records that are not CloudTrail events (grep's words), if it has any. */
export function notCloudTrailWarning(outcome: SourceOutcome): string | undefined {
  if (outcome.notCloudTrail === 0) return undefined;
  return outcome.events === 0 ? 'is JSON but not CloudTrail events (an S3 event notification, say); skipped' : `${outcome.notCloudTrail} of its records are not CloudTrail events; skipped them`;
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
  /** Once a source's outcome is committed (or known: an unchanged source). */
  readonly onOutcome?: (outcome: SourceOutcome) => void;
  /** As soon as a source new or changed has been read and scanned, with its size (for a progress bar). */
  readonly onRead?: (id: string, bytes: number) => void;
  readonly onBatch?: (batch: string, rows: number) => void;
  /** A batch ran DuckDB out of memory and is being written again on one thread. */
  readonly onRetry?: (message: string) => void;
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
  readonly writer: RowsWriter;
  readonly sources: PendingSource[];
  rows: number;
}

/** A source's content as read ahead: the document in one piece, or a stream to read at its turn. */
type SourceBody =
  | { readonly kind: 'whole'; readonly document: Buffer; readonly size: number }
  | { readonly kind: 'stream'; readonly open: () => AsyncIterable<Buffer>; readonly size: number };

/** Bytes of rows gathered before they are written to the rows file. */
const ROWS_CHUNK = 4 * 1024 * 1024;

/** One rows file of a batch: what one DuckDB COPY reads. */
interface RowsSegment {
  readonly file: string;
  rows: number;
  bytes: number;
}

/** Rows averaging more than this are very wide: a row group of them (5,000 rows) passes 40 MB. */
const VERY_WIDE_ROW_BYTES = 8 * 1024;
/** Most bytes of very wide rows one COPY is given. */
const VERY_WIDE_SEGMENT_BYTES = 32 * 1024 * 1024;

/**
 * The bytes a rows segment may reach: the batch's size and one whole document more, so a batch
 * of whole documents (the builder flushes once it passes its size) is one segment; 32 MB when
 * its rows average over 8 KB. DuckDB holds about three times a row group's bytes, and a row group
 * is 5,000 rows or the whole segment: measured on one thread at a 256 MB limit, 72 MB of rows of
 * 3, 8, 10 or 12 KB written, of 30 KB or 100 KB out of memory, 32 MB of rows of 30 KB to 8 MB
 * written.
 */
function segmentLimit(batchBytes: number, rows: number, bytes: number): number {
  return bytes / rows > VERY_WIDE_ROW_BYTES ? Math.min(batchBytes, VERY_WIDE_SEGMENT_BYTES) : batchBytes + WHOLE_DOCUMENT_BYTES;
}

/**
 * A batch's rows, `SOURCE_NO<TAB>RECORD_INDEX<TAB>JSON<LF>`, written through one 4 MB buffer
 * that every batch of the run reuses, with synchronous writes (to the page cache: a few ms per
 * 4 MB), instead of a fresh buffer per source handed to a write stream: fresh memory costs a page
 * fault per 4 KB on the machines this was measured on (7-14 µs each), and the benchmark archive
 * has 209 MB of rows. A build of it: 3.56 s against 3.85 s, mean of eight alternating builds on a
 * noisy machine (from 2.7 to 4.4 s either way).
 *
 * The rows go to a new file (segment) once the current one is full (segmentLimit), so what one
 * COPY reads stays bounded even when a single source gives far more: a file of 1 MB records cut
 * off by the decompression-bomb guard at 400 MB ran DuckDB out of 1 GB as one rows file.
 */
class RowsWriter {
  private at = 0;
  private fd: number | undefined;
  /** Bytes of rows: in the files, and in the buffer. */
  size = 0;
  readonly segments: RowsSegment[] = [];

  /** `buf`: the builder's, which its batches use one after another (a batch is closed before the next is made). */
  constructor(
    private readonly base: string,
    private readonly batchBytes: number,
    private readonly buf: Buffer,
  ) {
    this.open();
  }

  row(prefix: string, index: number, text: Buffer | string): void {
    const head = `${prefix}${index}\t`;
    const bytes = typeof text === 'string' ? Buffer.byteLength(text, 'utf8') : text.length;
    const n = head.length + bytes + 1;
    let segment = this.segments[this.segments.length - 1] as RowsSegment;
    if (segment.bytes > 0 && segment.bytes + n > segmentLimit(this.batchBytes, segment.rows + 1, segment.bytes + n)) {
      this.flush();
      closeSync(this.fd as number);
      segment = this.open();
    }
    if (this.at + n > this.buf.length) this.flush();
    if (n > this.buf.length) {
      // A record larger than the buffer (up to MAX_RECORD_BYTES) goes straight to the file.
      this.writeAll(Buffer.from(head, 'latin1'));
      this.writeAll(typeof text === 'string' ? Buffer.from(text, 'utf8') : text);
      this.writeAll(NEWLINE);
    } else {
      this.at += this.buf.write(head, this.at, 'latin1');
      if (typeof text === 'string') this.at += this.buf.write(text, this.at, 'utf8');
      else this.at += text.copy(this.buf, this.at);
      this.buf[this.at++] = 0x0a;
    }
    segment.rows++;
    segment.bytes += n;
    this.size += n;
  }

  /** Writes what the buffer holds and closes the file; the rows are then all in the segments. */
  close(): void {
    const fd = this.fd;
    if (fd === undefined) return;
    try {
      this.flush();
    } finally {
      this.fd = undefined;
      closeSync(fd);
    }
  }

  private open(): RowsSegment {
    const k = this.segments.length;
    const segment: RowsSegment = { file: k === 0 ? `${this.base}.rows` : `${this.base}.${k}.rows`, rows: 0, bytes: 0 };
    this.fd = openSync(segment.file, 'a');
    this.segments.push(segment);
    return segment;
  }

  private flush(): void {
    if (this.at === 0) return;
    const at = this.at;
    this.at = 0;
    this.writeAll(this.buf.subarray(0, at));
  }

  private writeAll(bytes: Uint8Array): void {
    for (let done = 0; done < bytes.length; ) done += writeSync(this.fd as number, bytes, done, bytes.length - done);
  }
}

const NEWLINE = Buffer.from('\n');

/**
 * Bytes already read, handed to the stream decoder in slices of the size grep reads a file in
 * (file-search.ts), so its bomb guard sees the ratio grow as it would on grep's stream and stops
 * at the same record.
 */
async function* slices(bytes: Buffer): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += STREAM_CHUNK_BYTES) yield bytes.subarray(at, at + STREAM_CHUNK_BYTES);
}

/**
 * Reads a source ahead of its turn (several at once, as `grep --bucket` does): in one piece when
 * it fits in WHOLE_DOCUMENT_BYTES, otherwise it is streamed when its turn comes.
 */
async function load(source: IndexSource): Promise<SourceBody> {
  const bytes = await source.read(WHOLE_DOCUMENT_BYTES);
  if (bytes === TOO_LARGE) return { kind: 'stream', open: () => source.stream(), size: source.size };
  return { kind: 'whole', document: bytes, size: bytes.length };
}

/**
 * Inflates a whole gzip source at its turn, into one output buffer that every source reuses (its
 * rows are copied out before the next one): inflated on libuv's threads instead, each into fresh
 * buffers, the benchmark archive's 209 MB of JSON cost a page fault per 4 KB (7-14 µs each on the
 * machines this was measured on), and the two cores are busy with DuckDB anyway. Four alternating
 * builds: 2.94 s against 3.21 s on average, 77-118 thousand page faults against 121-132. Shared
 * by every builder in the process: a document is inflated and its rows copied out with no await
 * in between.
 */
const rowsInflater = new WholeGunzip(WHOLE_DOCUMENT_BYTES);

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
        memoryLimit: this.options.memoryLimit ?? DEFAULT_MEMORY_LIMIT,
        tempDirectory: join(this.index.stagingDir, 'spill'),
        ...(this.options.threads === undefined ? {} : { threads: this.options.threads }),
      });
      // An archive of many accounts, regions and days has many partitions: DuckDB keeps a writer
      // (and its rows) per partition and thread, so at most a few are open at once, flushed early.
      // With 5,000 rows per flush a 64 MB batch of 12 partitions ran out of 256 MB; 2,000 keeps
      // a 200 MB batch under it.
      await this.run('SET partitioned_write_max_open_files = 8');
      await this.run('SET partitioned_write_flush_threshold = 2000');
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
    type Loaded = { source: IndexSource; status: 'new' | 'changed'; held: number; body?: SourceBody; error?: unknown };
    const window: Promise<Loaded>[] = [];
    let held = 0;
    const drain = async () => {
      const next = window.shift();
      if (next === undefined) return;
      const item = await next;
      try {
        await this.take(item.source, item.status, item.body, item.error);
      } finally {
        held -= item.held;
      }
    };
    for await (const source of sources) {
      this.result.sources++;
      const status = this.status(source, source.verdict);
      if (status === 'same') {
        this.result.skipped++;
        this.options.onOutcome?.({ id: source.id, status, bytes: source.size, events: this.state.sources.get(source.id)?.events ?? 0, problems: [], notCloudTrail: 0 });
        continue;
      }
      const reserve = footprint(source.size);
      while (window.length > 0 && (window.length >= concurrency || held + reserve > MAX_BYTES_IN_FLIGHT)) await drain();
      held += reserve;
      window.push(load(source).then((body) => ({ source, status, held: reserve, body }), (error: unknown) => ({ source, status, held: reserve, error })));
    }
    while (window.length > 0) await drain();
  }

  private async take(source: IndexSource, status: 'new' | 'changed', body: SourceBody | undefined, readError: unknown): Promise<void> {
    const batch = await this.currentBatch();
    const pending: PendingSource = { no: batch.sources.length, facts: source, status, events: 0, problems: [], notCloudTrail: 0, bytes: body?.size ?? source.size };
    batch.sources.push(pending);
    if (body === undefined) {
      pending.error = readError instanceof Error ? readError.message : String(readError);
      this.options.onRead?.(source.id, pending.bytes);
      return;
    }
    const writer = batch.writer;
    const prefix = `${pending.no}\t`;
    const emit = (index: number, text: Buffer | string) => writer.row(prefix, index, text);
    let rows: DocumentRows;
    let inflated: Buffer | undefined;
    if (body.kind === 'whole' && isGzip(body.document)) {
      const bytes = body.document;
      try {
        inflated = rowsInflater.inflate(bytes);
      } catch (error) {
        // Larger than one piece: streamed from the bytes already read, through the bomb guard.
        // Broken gzip: documentRows decodes it again to report it in grep's words.
        if (error instanceof InflatesPastLimit) body = { kind: 'stream', open: () => slices(bytes), size: bytes.length };
      }
    }
    if (inflated !== undefined) {
      const extractor = new RowExtractor(emit);
      if (extractor.push(inflated)) extractor.end();
      rows = extractor.result;
    } else if (body.kind === 'whole') {
      rows = documentRows(body.document, source.id, emit);
    } else {
      // Written as it is found: only the record being read and the rows buffer are held.
      const extractor = new RowExtractor(emit);
      try {
        for await (const chunk of documentChunks(body.open(), source.id)) {
          if (!extractor.push(chunk)) break;
        }
        extractor.end();
      } catch (error) {
        extractor.fail(error);
      }
      rows = extractor.result;
    }
    // A document that failed part way (a decompression bomb, JSON cut short, a cut connection)
    // keeps the rows it gave before the failure, as grep prints those events; its error is
    // committed with them, so the next run reads it again and replaces them.
    if (rows.error !== undefined) pending.error = rows.error;
    batch.rows += rows.rows;
    pending.problems = rows.problems;
    pending.notCloudTrail = rows.notCloudTrail;
    pending.events = rows.rows;
    this.options.onRead?.(source.id, pending.bytes);
    if (writer.size >= this.batchBytes) await this.flush();
  }

  private async currentBatch(): Promise<Batch> {
    if (this.batch !== undefined) return this.batch;
    const now = this.options.now?.() ?? Date.now();
    // The batch name must sort after every committed one and after the one still being written.
    const name = nextBatchName({ ...this.state, batches: [...this.state.batches, ...(this.lastBatchName === undefined ? [] : [this.lastBatchName])] }, now, randomBytes(4).toString('hex'));
    this.lastBatchName = name;
    this.rowsChunk ??= Buffer.allocUnsafe(ROWS_CHUNK);
    this.batch = { name, writer: new RowsWriter(join(this.index.stagingDir, name), this.batchBytes, this.rowsChunk), sources: [], rows: 0 };
    return this.batch;
  }

  private lastBatchName: string | undefined;
  /** The buffer this builder's rows pass through (see RowsWriter). */
  private rowsChunk: Buffer | undefined;

  /** Hands the current batch to DuckDB; waits for the previous one first (one batch in flight). */
  private async flush(): Promise<void> {
    const batch = this.batch;
    if (batch === undefined) return;
    this.batch = undefined;
    batch.writer.close();
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
    // A batch never handed over (the run failed or was stopped): its file is removed with the staging folder.
    try {
      this.batch?.writer.close();
    } catch {
      // its rows are not needed
    }
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

  /**
   * A batch's main COPY. DuckDB holds, for each thread, the rows of every open partition until it
   * flushes them, besides each partition file's row group, so what it holds grows with the rows'
   * size: deliveries full of long requestParameters (CloudFormation templates, policies; 2.4 KB a
   * record on average) ran two threads out of 256 MB in most runs (how many depends on how the
   * rows fall between them), and one thread never. A batch whose rows average more than
   * WIDE_ROW_BYTES is written on one thread from the start (a retry after running out costs the
   * memory of both attempts: 518 MiB peak against under 480); any other batch that runs out has
   * its half-written output removed and is written again on one thread. Running out on one thread
   * is an error naming the limit and the flag that raises it.
   */
  private async ingest(sql: string, staging: string, filePrefix: string, rows: number, bytes: number): Promise<void> {
    if (rows === 0 || bytes / rows <= WIDE_ROW_BYTES) {
      try {
        await this.duck.connection.run(sql);
        return;
      } catch (error) {
        if (!isOutOfMemory(error)) throw new TrailkitError('engine', `DuckDB: ${duckMessage(error)}`);
      }
      this.options.onRetry?.(`a batch of ${rows} events ran DuckDB out of its ${this.options.memoryLimit ?? DEFAULT_MEMORY_LIMIT} memory limit; writing it again on one thread`);
      // Only what this COPY wrote: the batch's earlier segments stay.
      for (const file of await walkFiles(staging).catch(() => [])) if (basename(file).startsWith(`${filePrefix}_`)) await rm(file, { force: true });
    }
    await this.run('SET threads = 1');
    try {
      await this.duck.connection.run(sql);
    } catch (error) {
      if (!isOutOfMemory(error)) throw new TrailkitError('engine', `DuckDB: ${duckMessage(error)}`);
      const limit = this.options.memoryLimit ?? DEFAULT_MEMORY_LIMIT;
      throw new TrailkitError('engine', `DuckDB ran out of its ${limit} memory limit writing a batch of ${rows} events, even on one thread`, { hint: 'raise --memory-limit, e.g. --memory-limit 1GB; what is committed stays and a re-run carries on' });
    } finally {
      await this.run(this.options.threads === undefined ? 'RESET threads' : `SET threads = ${this.options.threads}`);
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
    const withRows = batch.sources.filter((s) => s.events > 0);
    for (let i = 0; i < withRows.length; i += 500) {
      const values = withRows.slice(i, i + 500).map((s) => `(${s.no}, ${literal(s.facts.id)}, ${s.facts.verdict === undefined ? 'NULL' : literal(s.facts.verdict)})`);
      if (values.length > 0) await this.run(`INSERT INTO ${table} VALUES ${values.join(', ')}`);
    }
    const level = this.options.compressionLevel ?? 3;
    await this.ingestSegments(batch.writer.segments, batch.name, { sourcesTable: table, outDir: staging, shapeCheck: true, compressionLevel: level });
    if (batch.rows > 0) await this.judgeRejected(batch, table, staging, level);

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
      await this.run(`COPY (SELECT * FROM read_parquet(${literal(from)}, hive_partitioning = false) WHERE source NOT IN (${changedIds.map(literal).join(', ')})) TO ${literal(to)} (${parquetOptions(level, 20000)})`);
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
        events: s.events,
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
      this.result.events += s.events;
      this.options.onOutcome?.({ id: s.facts.id, status: s.status, bytes: s.bytes, events: s.events, problems: s.problems, notCloudTrail: s.notCloudTrail, ...(s.error === undefined ? {} : { error: s.error }) });
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
    const byId = new Map(batch.sources.map((s) => [s.facts.id, s]));
    // Streamed chunk by chunk, the kept rows written as they are judged: a file can hold hundreds
    // of MB of records DuckDB refuses (lone surrogate escapes), read whole they took 1.3 GB. The
    // rows come in no order, so each source keeps its four first broken records, to report them
    // in grep's order (addProblem keeps three, then says there are more).
    const broken = new Map<PendingSource, { index: number; message: string }[]>();
    const kept = new RowsWriter(join(this.index.stagingDir, `${batch.name}.kept`), this.batchBytes, Buffer.allocUnsafe(1024 * 1024));
    try {
      // One file at a time: a file holds one segment's rows (at most 32 MB of wide ones), so a
      // chunk of 2,048 rows never holds more.
      for (const file of files) {
      const result = await this.duck.connection.stream(`SELECT source, record_index, raw FROM read_parquet(${literal(file)}, hive_partitioning = false)`);
      for (;;) {
        const chunk = await result.fetchChunk();
        if (chunk === null || chunk.rowCount === 0) break;
        const ids = chunk.getColumnValues(0) as string[];
        const indexes = chunk.getColumnValues(1) as number[];
        const raws = chunk.getColumnValues(2) as string[];
        for (let r = 0; r < chunk.rowCount; r++) {
          const source = byId.get(ids[r] as string);
          if (source === undefined) continue;
          const index = indexes[r] as number;
          const raw = raws[r] as string;
          let record: unknown;
          try {
            record = JSON.parse(raw);
          } catch (error) {
            let first = broken.get(source);
            if (first === undefined) broken.set(source, (first = []));
            first.push({ index, message: invalidRecord(index, jsonSyntaxReason(error)) });
            if (first.length > 4) first.sort((x, y) => x.index - y.index).pop();
            source.events--;
            continue;
          }
          if (cloudTrailShape(record) !== 'cloudtrail') {
            source.notCloudTrail++;
            source.events--;
            continue;
          }
          kept.row(`${source.no}\t`, index, raw);
        }
      }
      }
    } catch (error) {
      throw error instanceof TrailkitError ? error : new TrailkitError('engine', `DuckDB: ${duckMessage(error)}`);
    } finally {
      kept.close();
    }
    await rm(dir, { recursive: true, force: true });
    for (const [source, first] of broken) for (const p of first.sort((x, y) => x.index - y.index)) addProblem(source.problems, p.message);
    await this.ingestSegments(kept.segments, `${batch.name}k`, { sourcesTable: table, outDir: staging, shapeCheck: false, compressionLevel: level });
  }

  /** One COPY per rows segment, each writing files named after `prefix` and its number; each segment's file is removed once written. */
  private async ingestSegments(segments: readonly RowsSegment[], prefix: string, input: Omit<IngestSqlInput, 'rowsFile' | 'filePrefix'>): Promise<void> {
    for (const [k, segment] of segments.entries()) {
      const filePrefix = k === 0 ? prefix : `${prefix}-${k}`;
      if (segment.rows > 0) await this.ingest(ingestCopySql({ ...input, rowsFile: segment.file, filePrefix }), input.outDir, filePrefix, segment.rows, segment.bytes);
      await rm(segment.file, { force: true });
    }
  }
}

/**
 * The state of a Parquet index, as a list of committed batches. Each batch names the source objects
 * it indexed (key, size, ETag or SHA-256, events, integrity verdict), the Parquet files it added
 * and the files it replaced. A batch is committed by writing its manifest last, atomically: a run
 * that is killed leaves files no manifest names, which readers never see and the next run removes.
 * Replaying the manifests in order gives the live files and the indexed sources.
 */

export const INDEX_FORMAT = 'trailkit-index';
export const INDEX_VERSION = 1;
/** The file that says a folder (or an S3 prefix) holds a trailkit index. */
export const INDEX_MARKER = 'trailkit-index.json';

/** What `index --validate` found for a source file (validate-digest's verdicts, in four words). */
export type SourceVerdict = 'valid' | 'invalid' | 'unverifiable' | 'unreferenced';

export interface SourceEntry {
  /** An absolute path, or `s3://bucket/key`. */
  readonly id: string;
  readonly size: number;
  readonly etag?: string;
  readonly sha256?: string;
  readonly mtimeMs?: number;
  readonly events: number;
  readonly verdict?: SourceVerdict;
  /** Why the file could not be read to its end (`events` are those before the failure; a re-run reads it again and replaces them). */
  readonly error?: string;
  /** The Parquet files holding its events, relative to the index folder. */
  readonly parts: readonly string[];
}

export interface PartEntry {
  /** Relative to the index folder: `data/account=A/region=R/date=D/NAME.parquet`. */
  readonly path: string;
  readonly rows: number;
}

export interface BatchManifest {
  readonly format: typeof INDEX_FORMAT;
  readonly version: typeof INDEX_VERSION;
  /** Sortable: batches are replayed in name order. */
  readonly batch: string;
  readonly committedAt: string;
  readonly sources: readonly SourceEntry[];
  readonly addedParts: readonly PartEntry[];
  /** Parts of earlier batches this one rewrote (without the events of sources that changed). */
  readonly removedParts: readonly string[];
}

export interface IndexState {
  readonly sources: Map<string, SourceEntry>;
  readonly parts: Map<string, PartEntry>;
  readonly batches: string[];
}

export class ManifestError extends Error {
  override name = 'ManifestError';
}

/** Checks a manifest read from disk (it may have been edited or cut short). */
export function parseBatchManifest(text: string, name: string): BatchManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(`${name}: not JSON (${(error as Error).message})`);
  }
  const m = value as Partial<BatchManifest>;
  if (m === null || typeof m !== 'object' || m.format !== INDEX_FORMAT) throw new ManifestError(`${name}: not a trailkit index manifest`);
  if (m.version !== INDEX_VERSION) throw new ManifestError(`${name}: index format version ${String(m.version)}, this trailkit reads version ${INDEX_VERSION}`);
  if (typeof m.batch !== 'string' || !Array.isArray(m.sources) || !Array.isArray(m.addedParts) || !Array.isArray(m.removedParts)) {
    throw new ManifestError(`${name}: a field is missing`);
  }
  for (const part of [...m.addedParts.map((p) => p.path), ...m.removedParts]) {
    if (!isPartPath(part)) throw new ManifestError(`${name}: '${String(part)}' is not a part file of the index`);
  }
  return m as BatchManifest;
}

/**
 * A part path as the index writes it, and nothing else: no `..`, no absolute path, partition
 * folders of the three kinds. A manifest is data read from disk, never a way to point the engine
 * at another file.
 */
export function isPartPath(path: unknown): path is string {
  return typeof path === 'string' && /^data\/account=[0-9a-z_]{1,16}\/region=[0-9a-z_-]{1,32}\/date=[0-9a-z_-]{1,10}\/[A-Za-z0-9_-]{1,80}\.parquet$/.test(path);
}

export function replayManifests(manifests: readonly BatchManifest[]): IndexState {
  const state: IndexState = { sources: new Map(), parts: new Map(), batches: [] };
  const sorted = [...manifests].sort((a, b) => (a.batch < b.batch ? -1 : a.batch > b.batch ? 1 : 0));
  for (const m of sorted) {
    for (const removed of m.removedParts) state.parts.delete(removed);
    for (const part of m.addedParts) state.parts.set(part.path, part);
    for (const source of m.sources) state.sources.set(source.id, source);
    state.batches.push(m.batch);
  }
  // A source's parts are those still live (rewrites move its events to the new files).
  return state;
}

export interface SourceFacts {
  readonly id: string;
  readonly size: number;
  readonly etag?: string;
  readonly sha256?: string;
  readonly mtimeMs?: number;
}

/**
 * Whether a source must be (re-)indexed. An S3 object is the same when its size and ETag are; a
 * local file when its size and modification time are (then its SHA-256 is not recomputed), or its
 * size and SHA-256. A file that could not be read before is tried again.
 */
export function sourceStatus(state: IndexState, facts: SourceFacts, verdict?: SourceVerdict): 'new' | 'changed' | 'same' {
  const known = state.sources.get(facts.id);
  if (known === undefined) return 'new';
  if (known.error !== undefined) return 'changed';
  if (known.size !== facts.size) return 'changed';
  if (facts.etag !== undefined || known.etag !== undefined) {
    if (facts.etag !== known.etag) return 'changed';
  } else if (facts.mtimeMs !== known.mtimeMs && (facts.sha256 === undefined || facts.sha256 !== known.sha256)) {
    return 'changed';
  }
  if (verdict !== undefined && verdict !== known.verdict) return 'changed';
  return 'same';
}

/** A new batch name that sorts after every earlier one, even across machines with skewed clocks. */
export function nextBatchName(state: IndexState, nowMs: number, random: string): string {
  const last = state.batches[state.batches.length - 1];
  const lastSeq = last === undefined ? 0 : Number.parseInt(last.slice(0, 8), 10) || 0;
  return `${String(lastSeq + 1).padStart(8, '0')}-${new Date(nowMs).toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${random}`;
}

/** A partition value as a folder name: only the characters a well-formed value has. */
export function partitionValue(kind: 'account' | 'region' | 'date', value: string | null | undefined): string {
  if (typeof value !== 'string') return 'none';
  switch (kind) {
    case 'account':
      return /^\d{12}$/.test(value) ? value : 'other';
    case 'region':
      return /^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/.test(value) ? value : 'other';
    case 'date':
      return /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : 'other';
  }
}

/** How many source files of the index hold each verdict; `none`: indexed without --validate. */
export type VerdictCounts = Record<SourceVerdict | 'none', number>;

export function verdictCounts(state: IndexState): VerdictCounts {
  const counts: VerdictCounts = { valid: 0, invalid: 0, unverifiable: 0, unreferenced: 0, none: 0 };
  for (const source of state.sources.values()) counts[source.verdict ?? 'none']++;
  return counts;
}

/**
 * What `--verified` leaves out, in one line, or undefined when every file is valid: the events
 * of every other file are not searched, and without a word an index built without --validate
 * answers nothing at all.
 */
export function verifiedWarning(counts: VerdictCounts): string | undefined {
  const total = counts.valid + counts.invalid + counts.unverifiable + counts.unreferenced + counts.none;
  const out = total - counts.valid;
  if (out === 0) return undefined;
  const parts = (['invalid', 'unverifiable', 'unreferenced'] as const).filter((v) => counts[v] > 0).map((v) => `${counts[v]} ${v}`);
  if (counts.none > 0) parts.push(`${counts.none} never validated`);
  const fix = counts.none > 0 ? ': build the index with trailkit index --validate to judge them' : '';
  return `--verified leaves out the events of ${out} of the index's ${total} files (${parts.join(', ')})${fix}`;
}

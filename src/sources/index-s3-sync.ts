/**
 * An index kept in S3 (`index --to s3://bucket/prefix`), built in a local working folder:
 *
 * 1. inspect: list the prefix; a prefix whose data/ or batches/ hold files that are not an
 *    index's is refused (nothing there is ever deleted).
 * 2. pull: when S3 holds batches the working folder lacks (an empty folder, another machine's
 *    run), the folder is brought to the S3 copy first, downloading only the files it lacks, so
 *    that every run is incremental wherever it runs.
 * 3. the index is built or extended in the folder, as a local index is.
 * 4. push: upload every part file, then every manifest, then the marker, that S3 lacks or holds
 *    with other bytes; then, once every upload succeeded, delete the objects under data/ and
 *    batches/ that the index no longer has. Athena (LOCATION .../data/) never finds a partition
 *    missing its new files; for the moment between the uploads and the deletes it may find a
 *    rewritten file twice.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TrailkitError } from '../core/errors.js';
import { INDEX_MARKER, ManifestError, parseBatchManifest, replayManifests, type BatchManifest } from '../core/index-manifest.js';
import {
  batchesBehind,
  foreignObjects,
  planPush,
  remoteBatches,
  s3Url,
  sameObject,
  workFolderSegments,
  type LocalFile,
  type RemoteObject,
  type S3Location,
  type SyncRecord,
} from '../core/index-sync.js';
import { deleteIndexObjects, downloadIndexObject, listIndexObjects, readIndexObject, uploadIndexObject } from '../aws/index-s3.js';
import type { LocalIndex } from './index-store.js';

const RECORD_FILE = '.s3-sync.json';

/**
 * The default working folder of an S3 index: under the user's cache folder ($XDG_CACHE_HOME,
 * ~/Library/Caches, %LOCALAPPDATA%, else ~/.cache), trailkit/index/BUCKET/PREFIX.
 */
export function defaultWorkFolder(location: S3Location, env: Readonly<Record<string, string | undefined>>, platform: NodeJS.Platform = process.platform): string {
  const home = env['HOME'] ?? homedir();
  const cache = env['XDG_CACHE_HOME'] !== undefined && env['XDG_CACHE_HOME'] !== ''
    ? env['XDG_CACHE_HOME']
    : platform === 'darwin'
      ? join(home, 'Library', 'Caches')
      : platform === 'win32' && env['LOCALAPPDATA'] !== undefined
        ? env['LOCALAPPDATA']
        : join(home, '.cache');
  return join(cache, 'trailkit', 'index', ...workFolderSegments(location, (t) => createHash('sha256').update(t).digest('hex')));
}

async function md5Of(path: string): Promise<{ hex: string; base64: string; bytes: Buffer }> {
  const bytes = await readFile(path);
  const digest = createHash('md5').update(bytes).digest();
  return { hex: digest.toString('hex'), base64: digest.toString('base64'), bytes };
}

/** Runs `work` over `items`, `concurrency` at a time; the first failure stops the rest and is thrown. */
async function eachLimited<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const lane = async () => {
    while (failed === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failed ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, lane));
  if (failed !== undefined) throw failed;
}

export interface PullResult {
  /** Batches S3 had that the working folder lacked. */
  readonly behind: number;
  readonly downloaded: number;
  readonly bytes: number;
}

export interface PushResult {
  readonly uploaded: number;
  readonly bytes: number;
  readonly unchanged: number;
  readonly deleted: number;
}

export class S3IndexSync {
  constructor(
    readonly location: S3Location,
    private readonly index: LocalIndex,
    private readonly options: { readonly concurrency: number; readonly debug?: (message: string) => void } = { concurrency: 8 },
  ) {}

  private get recordPath(): string {
    return join(this.index.root, RECORD_FILE);
  }

  private async readRecord(): Promise<{ bucket: string; prefix: string; files: Record<string, SyncRecord['files'][string]> }> {
    const empty = { bucket: this.location.bucket, prefix: this.location.prefix, files: {} };
    try {
      const record = JSON.parse(await readFile(this.recordPath, 'utf8')) as SyncRecord;
      if (record.bucket !== this.location.bucket || record.prefix !== this.location.prefix || typeof record.files !== 'object' || record.files === null) return empty;
      return { ...empty, files: { ...record.files } };
    } catch {
      return empty;
    }
  }

  private async writeRecord(record: SyncRecord): Promise<void> {
    const tmp = `${this.recordPath}.tmp`;
    const handle = await open(tmp, 'w');
    await handle.writeFile(`${JSON.stringify(record)}\n`);
    await handle.close();
    await rename(tmp, this.recordPath);
  }

  /** The objects under the prefix; refuses a prefix whose data/ or batches/ hold anything but an index. */
  async inspect(s3: S3Client): Promise<Map<string, RemoteObject>> {
    const remote = await listIndexObjects(s3, this.location);
    const foreign = foreignObjects(remote.values());
    if (foreign.length > 0) {
      throw new TrailkitError('input', `--to ${s3Url(this.location)}: ${s3Url(this.location, foreign[0])} is not a file of a trailkit index${foreign.length > 1 ? ` (nor are ${foreign.length - 1} more objects)` : ''}; nothing was written or deleted`, {
        hint: 'give the index a prefix of its own: trailkit deletes what it no longer needs under data/ and batches/',
      });
    }
    return remote;
  }

  /** Brings the working folder to the S3 copy when S3 has batches the folder lacks. */
  async pull(s3: S3Client, remote: ReadonlyMap<string, RemoteObject>): Promise<PullResult> {
    const names = remoteBatches(remote.values());
    const local = await this.index.load('--work-dir');
    const behind = batchesBehind(names, local.batches);
    if (behind.length === 0) return { behind: 0, downloaded: 0, bytes: 0 };
    this.options.debug?.(`${s3Url(this.location)} has ${behind.length} batches the working folder ${this.index.root} lacks: bringing it up to date`);
    const texts = new Map<string, string>();
    const manifests: BatchManifest[] = [];
    await eachLimited(names, this.options.concurrency, async (name) => {
      const rel = `batches/${name}.json`;
      const text = (await readIndexObject(s3, this.location, rel)).toString('utf8');
      texts.set(name, text);
      try {
        manifests.push(parseBatchManifest(text, s3Url(this.location, rel)));
      } catch (error) {
        if (error instanceof ManifestError) throw new TrailkitError('input', `--to ${s3Url(this.location)}: ${error.message}`, { hint: 'the index in S3 was changed by hand; give --to a new prefix' });
        throw error;
      }
    });
    const state = replayManifests(manifests);
    const record = await this.readRecord();
    const wanted: RemoteObject[] = [];
    for (const part of [...state.parts.keys()].sort()) {
      const object = remote.get(part);
      if (object === undefined) {
        throw new TrailkitError('input', `--to ${s3Url(this.location)}: ${s3Url(this.location, part)} is named by the index's batches but is not in S3`, { hint: 'the S3 copy is incomplete (deleted by hand?); give --to a new prefix, or delete the prefix and index again' });
      }
      const path = join(this.index.root, ...part.split('/'));
      let have: LocalFile | undefined;
      try {
        const info = await stat(path);
        if (info.size === object.size) have = { rel: part, size: info.size, md5: (await md5Of(path)).hex };
      } catch {
        // not here yet
      }
      if (have === undefined || !sameObject(have, object, record)) wanted.push(object);
    }
    let bytes = 0;
    await eachLimited(wanted, this.options.concurrency, async (object) => {
      const path = join(this.index.root, ...object.rel.split('/'));
      await mkdir(join(path, '..'), { recursive: true });
      await downloadIndexObject(s3, this.location, object.rel, path, object.size);
      const info = await stat(path);
      record.files[object.rel] = { size: object.size, md5: (await md5Of(path)).hex, etag: object.etag, mtimeMs: Math.floor(info.mtimeMs) };
      bytes += object.size;
    });
    // The manifests last: the folder is an index of the S3 copy once they are all in place. A
    // batch only the folder had is dropped (its files too, when the build opens the index): its
    // sources are read again.
    const keep = new Set(names);
    for (const name of (await readdir(this.index.batchesDir)).filter((n) => n.endsWith('.json'))) {
      if (!keep.has(name.slice(0, -'.json'.length))) await rm(join(this.index.batchesDir, name), { force: true });
    }
    let written = 0;
    for (const name of names) {
      const path = join(this.index.batchesDir, `${name}.json`);
      const text = texts.get(name) as string;
      if ((await readFile(path, 'utf8').catch(() => undefined)) === text) continue;
      await writeAtomically(path, text);
      written++;
      bytes += Buffer.byteLength(text);
      const object = remote.get(`batches/${name}.json`);
      if (object !== undefined) record.files[`batches/${name}.json`] = { size: object.size, md5: createHash('md5').update(text).digest('hex'), etag: object.etag, mtimeMs: Math.floor((await stat(path)).mtimeMs) };
    }
    await this.writeRecord(record);
    return { behind: behind.length, downloaded: wanted.length + written, bytes };
  }

  /**
   * Uploads what S3 lacks, then deletes what the index no longer has. `guard` is awaited before
   * each upload and before the deletes (the run's lock: S3IndexLease.guard); when it throws,
   * nothing more is written.
   */
  async push(s3: S3Client, guard?: () => Promise<void>): Promise<PushResult> {
    const remote = await this.inspect(s3);
    const state = await this.index.load('--work-dir');
    const behind = batchesBehind(remoteBatches(remote.values()), state.batches);
    if (behind.length > 0) {
      throw new TrailkitError('busy', `--to ${s3Url(this.location)}: batches/${behind[0] ?? ''}.json was written there while this run was building (another index run on this prefix?); nothing was uploaded or deleted`, {
        hint: 'run again: the working folder is brought up to date from S3 first',
      });
    }
    const record = await this.readRecord();
    const rels = [...state.parts.keys(), ...state.batches.map((b) => `batches/${b}.json`), INDEX_MARKER];
    const local: LocalFile[] = [];
    const mtimes = new Map<string, number>();
    for (const rel of rels) {
      const path = join(this.index.root, ...rel.split('/'));
      let info;
      try {
        info = await stat(path);
      } catch (error) {
        throw new TrailkitError('input', `--work-dir ${this.index.root}: ${rel} is missing (${(error as Error).message.split('\n')[0] ?? ''})`, { hint: 'the working folder was changed by hand; delete it and run again (it is downloaded from S3)' });
      }
      const mtimeMs = Math.floor(info.mtimeMs);
      mtimes.set(rel, mtimeMs);
      const known = record.files[rel];
      // A file whose size and modification time are those it had when it was last synced is not hashed again.
      const md5 = known !== undefined && known.size === info.size && known.mtimeMs === mtimeMs ? known.md5 : (await md5Of(path)).hex;
      local.push({ rel, size: info.size, md5 });
    }
    const plan = planPush(local, remote, record);
    let bytes = 0;
    const upload = async (file: LocalFile) => {
      await guard?.();
      const path = join(this.index.root, ...file.rel.split('/'));
      const { hex, base64, bytes: body } = await md5Of(path);
      const etag = await uploadIndexObject(s3, this.location, file.rel, body, base64);
      record.files[file.rel] = { size: body.length, md5: hex, etag, mtimeMs: mtimes.get(file.rel) ?? 0 };
      bytes += body.length;
    };
    try {
      // Part files first, then the manifests that name them, in batch order, then the marker.
      await eachLimited(plan.upload.filter((f) => f.rel.startsWith('data/')), Math.min(this.options.concurrency, 8), upload);
      for (const file of plan.upload.filter((f) => !f.rel.startsWith('data/'))) await upload(file);
    } finally {
      await this.writeRecord(record);
    }
    if (plan.remove.length > 0) {
      await guard?.();
      await deleteIndexObjects(s3, this.location, plan.remove);
      for (const rel of plan.remove) delete record.files[rel];
      await this.writeRecord(record);
    }
    return { uploaded: plan.upload.length, bytes, unchanged: plan.unchanged, deleted: plan.remove.length };
  }
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  const handle = await open(tmp, 'w');
  await handle.writeFile(text);
  await handle.sync();
  await handle.close();
  await rename(tmp, path);
}

import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, createReadStream, createWriteStream, lstatSync, mkdirSync, openSync, renameSync, writeSync, type WriteStream } from 'node:fs';
import { lstat, open, readdir, rename, rm, unlink } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DIGEST_METADATA_SUFFIX, digestMetadataFromS3, digestMetadataName, serializeDigestMetadata } from '../core/digest-metadata.js';
import { isConnectionCut, objectReader, readObjectBytes } from '../aws/s3-object-reader.js';
import { describeObjectFailure } from './s3-object-errors.js';
import type { TrailObject } from './s3-trail-objects.js';

/** trailkit's own folder inside a download: its state file and its temporary files. No object is written there. */
export const OWN_FOLDER = '.trailkit';
/** Where `download` keeps what it has fetched (bucket, key, size, ETag), one JSON line each. */
export const STATE_FILE = join(OWN_FOLDER, 'download-state.jsonl');
/** Where files are written before they get their final name: private, with unpredictable names. */
export const TEMP_FOLDER = join(OWN_FOLDER, 'tmp');

const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/** A path in the target folder that download will not write through (a symbolic link, a file where a folder belongs). */
export class UnsafePathError extends Error {}

export interface DownloadOutcome {
  readonly key: string;
  readonly status: 'downloaded' | 'skipped' | 'failed';
  readonly bytes: number;
  readonly message?: string;
  /** Something the user should know about an object that is otherwise present (a digest without a signature). */
  readonly warning?: string;
}

interface StateEntry {
  readonly size: number;
  readonly etag: string;
}

/**
 * The ETags of objects already downloaded into a folder, so a second run skips objects whose
 * size and ETag are unchanged. The state file is hidden, so grep and tail never read it.
 */
export class DownloadState {
  /** The names in each folder, listed once per run. */
  readonly folderNames = new Map<string, Promise<Set<string>>>();
  private readonly entries = new Map<string, StateEntry>();
  private stream: WriteStream | undefined;

  private constructor(private readonly dir: string, private readonly bucket: string) {}

  static async load(dir: string, bucket: string): Promise<DownloadState> {
    const state = new DownloadState(dir, bucket);
    let text = '';
    try {
      // Not through a link planted in its place: then nothing is known, and every object is checked.
      const handle = await open(join(dir, STATE_FILE), constants.O_RDONLY | O_NOFOLLOW);
      try {
        text = await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    } catch {
      return state;
    }
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const e = JSON.parse(line) as { bucket?: string; key?: string; size?: number; etag?: string };
        if (e.bucket === bucket && typeof e.key === 'string' && typeof e.size === 'number' && typeof e.etag === 'string') {
          state.entries.set(e.key, { size: e.size, etag: e.etag });
        }
      } catch {
        // A line cut short by an interrupted run: that object is checked again.
      }
    }
    return state;
  }

  get(key: string): StateEntry | undefined {
    return this.entries.get(key);
  }

  async record(key: string, size: number, etag: string): Promise<void> {
    this.entries.set(key, { size, etag });
    if (this.stream === undefined) {
      targetFolder(this.dir).ensure(OWN_FOLDER);
      // O_NOFOLLOW: a link planted at the state file's name is refused, never appended through.
      let fd: number;
      try {
        fd = openSync(join(this.dir, STATE_FILE), constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | O_NOFOLLOW, 0o600);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new UnsafePathError(`${STATE_FILE} in the target folder is a symbolic link; download does not write through links (remove it)`);
        throw error;
      }
      this.stream = createWriteStream('', { fd });
    }
    if (!this.stream.write(`${JSON.stringify({ bucket: this.bucket, key, size, etag })}\n`)) {
      await new Promise<void>((r) => this.stream?.once('drain', () => r()));
    }
  }

  async close(): Promise<void> {
    const stream = this.stream;
    this.stream = undefined;
    if (stream !== undefined) await new Promise<void>((r) => stream.end(r));
  }
}

/**
 * The local path of a key under `dir`, the same relative path as in the bucket. A key that would
 * land outside `dir` (`..`, an absolute path) is refused: bucket contents are not trusted. So is a
 * key that would land in trailkit's own folder, or take the name download gives a digest's
 * signature file.
 */
export function localPathFor(dir: string, key: string): string | undefined {
  return localPathOf(dir, key).path;
}

function localPathOf(dir: string, key: string): { path?: string; problem?: string } {
  const parts = key.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\') || p.includes('\0'))) {
    return { problem: 'the key would be written outside the target folder; skipped' };
  }
  if (parts[0] === OWN_FOLDER) return { problem: `the key would be written into ${OWN_FOLDER}/, which holds download's own state; skipped` };
  if (key.endsWith(DIGEST_METADATA_SUFFIX)) return { problem: `its name ends in ${DIGEST_METADATA_SUFFIX}, the name download gives the signature file beside a digest; skipped` };
  const root = resolve(dir);
  const path = resolve(root, ...parts);
  return path.startsWith(root + sep) ? { path } : { problem: 'the key would be written outside the target folder; skipped' };
}

/**
 * The folders of a download target, created and checked one component at a time: a symbolic link
 * or a file where a folder should be is refused, so nothing is ever written through a link
 * planted inside the target (the target itself is the user's choice). Temporary files are
 * created exclusively (O_CREAT|O_EXCL, mode 0600) under random names in `.trailkit/tmp`, where no
 * object can be written, so they neither follow a planted link nor collide with an object.
 */
class TargetFolder {
  private readonly made = new Set<string>();

  constructor(readonly root: string) {}

  /**
   * Creates (or checks) the folder `rel` under the root, component by component; its absolute
   * path. Synchronous: a few lstat calls cost microseconds, a thread-pool round trip each costs more.
   */
  ensure(rel: string): string {
    if (rel === '' || rel === '.') return this.root;
    if (this.made.has(rel)) return join(this.root, rel);
    let at = '';
    for (const part of rel.split(sep)) {
      at = at === '' ? part : join(at, part);
      if (this.made.has(at)) continue;
      const full = join(this.root, at);
      let info = lstatSync(full, { throwIfNoEntry: false });
      if (info === undefined) {
        try {
          mkdirSync(full);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
        info = lstatSync(full);
      }
      if (info.isSymbolicLink()) throw new UnsafePathError(`${at} in the target folder is a symbolic link; download does not write through links (remove it, or download into another folder)`);
      if (!info.isDirectory()) throw new UnsafePathError(`${at} in the target folder is a file where a folder belongs`);
      this.made.add(at);
    }
    return join(this.root, rel);
  }

  /** Checks again, just before a rename, that no folder on the way was swapped for a link. */
  recheck(rel: string): void {
    let at = '';
    for (const part of rel.split(sep)) {
      if (part === '' || part === '.') continue;
      at = at === '' ? part : join(at, part);
      const info = lstatSync(join(this.root, at), { throwIfNoEntry: false });
      if (info === undefined || !info.isDirectory()) throw new UnsafePathError(`${at} in the target folder changed into a link or file while downloading; not written`);
    }
  }

  /** A new private temporary file: its path and an open descriptor. */
  tempFile(): { path: string; fd: number } {
    const folder = this.ensure(TEMP_FOLDER);
    const path = join(folder, `${randomBytes(12).toString('hex')}.partial`);
    const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW, 0o600);
    return { path, fd };
  }

  /** Removes temporary files an interrupted run left, once they are an hour old. */
  async sweep(): Promise<void> {
    const folder = join(this.root, TEMP_FOLDER);
    let names: string[];
    try {
      names = await readdir(folder);
    } catch {
      return;
    }
    for (const name of names) {
      if (!/^[0-9a-f]{24}\.partial$/.test(name)) continue;
      const path = join(folder, name);
      const info = await lstat(path).catch(() => undefined);
      if (info !== undefined && Date.now() - info.mtimeMs > 3_600_000) await unlink(path).catch(() => {});
    }
  }
}

const targets = new Map<string, TargetFolder>();

function targetFolder(dir: string): TargetFolder {
  const root = resolve(dir);
  let target = targets.get(root);
  if (target === undefined) {
    target = new TargetFolder(root);
    targets.set(root, target);
  }
  return target;
}

/** Removes what interrupted runs left in the target's temporary folder. */
export async function sweepTemporaryFiles(dir: string): Promise<void> {
  await targetFolder(dir).sweep();
}

const PLAIN_MD5_ETAG = /^"?([0-9a-f]{32})"?$/;

async function md5Of(path: string): Promise<string> {
  const hash = createHash('md5');
  const fd = openSync(path, constants.O_RDONLY | O_NOFOLLOW);
  await pipeline(createReadStream('', { fd }), hash);
  return hash.digest('hex');
}

/**
 * The names in each local folder, read once per folder: a first download into an empty folder
 * then costs no failed stat per object (an exception each), only one readdir per day folder.
 */
function namesIn(dir: string, state: DownloadState): Promise<Set<string>> {
  // Per run (the state's): a second download in the same process must see the files the first wrote.
  let names = state.folderNames.get(dir);
  if (names === undefined) {
    names = readdir(dir).then((list) => new Set(list), () => new Set<string>());
    state.folderNames.set(dir, names);
  }
  return names;
}

/** Whether the local copy is the listed object: same size and ETag (from the state file, or the MD5 of a single-part upload). */
async function upToDate(path: string, object: TrailObject, state: DownloadState): Promise<boolean> {
  if (!(await namesIn(dirname(path), state)).has(path.slice(dirname(path).length + 1))) return false;
  let size: number;
  try {
    // lstat: a link in the object's place is not the object; it is replaced, never read through.
    const info = await lstat(path);
    if (!info.isFile()) return false;
    size = info.size;
  } catch {
    return false;
  }
  if (size !== object.size || object.etag === undefined) return false;
  const known = state.get(object.key);
  if (known !== undefined) return known.size === object.size && known.etag === object.etag;
  const md5 = PLAIN_MD5_ETAG.exec(object.etag)?.[1];
  if (md5 === undefined || (await md5Of(path)) !== md5) return false;
  await state.record(object.key, object.size, object.etag);
  return true;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes `bytes` to a private temporary file; its path. */
async function writeTemp(target: TargetFolder, bytes: Buffer | string): Promise<string> {
  const { path, fd } = target.tempFile();
  try {
    const data = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
    for (let at = 0; at < data.length; ) at += writeSync(fd, data, at, data.length - at);
  } catch (error) {
    closeSync(fd);
    await rm(path, { force: true });
    throw error;
  }
  closeSync(fd);
  return path;
}

/** Gives a temporary file its final name in the target, after checking the folders on the way again. */
async function moveIntoPlace(target: TargetFolder, temp: string, path: string, sync: boolean): Promise<void> {
  target.recheck(relative(target.root, dirname(path)));
  // rename replaces a link at `path` itself; it never writes through it.
  if (sync) renameSync(temp, path);
  else await rename(temp, path);
}

/** Writes `text` to `path` through a private temporary file, so `path` is either absent or complete. */
async function writeAtomically(target: TargetFolder, path: string, text: string): Promise<void> {
  const temp = await writeTemp(target, text);
  try {
    await moveIntoPlace(target, temp, path, false);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * Writes a digest's signature sidecar in the format validate-digest reads offline
 * (src/core/digest-metadata.ts); returns a warning when the object has no signature metadata.
 */
async function writeDigestSidecar(target: TargetFolder, path: string, input: Parameters<typeof digestMetadataFromS3>[0]): Promise<string | undefined> {
  const metadata = digestMetadataFromS3(input);
  if ('problem' in metadata) return `${metadata.problem}: no ${DIGEST_METADATA_SUFFIX} written beside it, so it cannot be validated offline`;
  await writeAtomically(target, digestMetadataName(path), serializeDigestMetadata(metadata));
  return undefined;
}

/** Objects up to this size are written in one call; bigger ones are streamed to disk. */
const IN_MEMORY_BYTES = 4 * 1024 * 1024;
/**
 * Up to this size a file is written and renamed with synchronous calls. Measured on 1,008 log
 * files of a few KB: 3.0 s against 3.55 s with fs/promises, whose FileHandle and thread-pool
 * round trips cost more than the write itself; the event loop is held for well under 1 ms.
 */
const SYNC_WRITE_BYTES = 256 * 1024;


/**
 * Mirrors one object to `dir/KEY`: skipped when the local copy has the same size and ETag;
 * otherwise written to a private temporary file and renamed into place once complete, so no
 * partial file ever has the final name. Digests also get their signature sidecar (written before
 * the digest is renamed into place). Never throws: failures are in the outcome.
 */
export async function downloadObject(s3: S3Client, bucket: string, object: TrailObject, dir: string, state: DownloadState, signal?: AbortSignal): Promise<DownloadOutcome> {
  const { path, problem } = localPathOf(dir, object.key);
  if (path === undefined) return { key: object.key, status: 'failed', bytes: 0, message: problem ?? 'skipped' };
  const isDigest = object.kind === 'CloudTrail-Digest';
  const target = targetFolder(dir);
  try {
    const folder = relative(target.root, dirname(path));
    target.ensure(folder);
    if (await upToDate(path, object, state)) {
      let warning: string | undefined;
      if (isDigest && !(await exists(digestMetadataName(path)))) {
        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: object.key }), signal === undefined ? {} : { abortSignal: signal });
        warning = await writeDigestSidecar(target, path, { bucket, key: object.key, metadata: head.Metadata, etag: head.ETag, versionId: head.VersionId, lastModified: head.LastModified });
      }
      return { key: object.key, status: 'skipped', bytes: 0, ...(warning === undefined ? {} : { warning }) };
    }
    const response = await objectReader(s3).get(bucket, object.key, signal);
    let temp: string | undefined;
    try {
      let written: number;
      if (response.contentLength !== undefined && response.contentLength <= IN_MEMORY_BYTES) {
        // Most log files are small: one write is much cheaper than a stream per file.
        const bytes = await readObjectBytes(response, IN_MEMORY_BYTES);
        temp = await writeTemp(target, bytes);
        written = bytes.length;
      } else {
        const file = target.tempFile();
        temp = file.path;
        written = await streamBody(response, file.fd, signal);
      }
      if (response.contentLength !== undefined && written !== response.contentLength) {
        throw new Error(`the download stopped after ${written} of ${response.contentLength} bytes`);
      }
      const warning = isDigest
        ? await writeDigestSidecar(target, path, { bucket, key: object.key, metadata: response.metadata, etag: response.etag, versionId: response.versionId, lastModified: response.lastModified })
        : undefined;
      await moveIntoPlace(target, temp, path, written <= SYNC_WRITE_BYTES);
      temp = undefined;
      await state.record(object.key, written, response.etag ?? object.etag ?? '');
      return { key: object.key, status: 'downloaded', bytes: written, ...(warning === undefined ? {} : { warning }) };
    } catch (error) {
      response.body.destroy();
      if (temp !== undefined) await rm(temp, { force: true });
      throw error;
    }
  } catch (error) {
    const message = (error as { $metadata?: unknown }).$metadata !== undefined ? describeObjectFailure(error).message : (error as Error).message;
    return { key: object.key, status: 'failed', bytes: 0, message };
  }
}

/**
 * Streams an object's body to a file, turning a connection that closes early into what happened:
 * how many of the expected bytes arrived.
 */
async function streamBody(response: { contentLength: number | undefined; body: NodeJS.ReadableStream }, fd: number, signal: AbortSignal | undefined): Promise<number> {
  let received = 0;
  response.body.on('data', (chunk: Buffer) => (received += chunk.length));
  try {
    await pipeline(response.body, createWriteStream('', { fd }), signal === undefined ? {} : { signal });
  } catch (error) {
    if (!isConnectionCut(error)) throw error;
    const of = response.contentLength === undefined ? '' : ` of ${response.contentLength}`;
    throw new Error(`the download stopped after ${received}${of} bytes: the connection was closed before the object was complete`, { cause: error });
  }
  return received;
}

import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { MAX_DIGEST_BYTES, type DigestLocation, type DigestStore, type FetchedDigest, type LogCheck, type ScopedFile } from '../core/digest-chain.js';
import { DIGEST_METADATA_SUFFIX, parseDigestMetadata } from '../core/digest-metadata.js';
import { TrailkitError } from '../core/errors.js';
import { awsLogsRoot, dayFolders, regionRoot, type TrailFileKind } from '../core/s3-layout.js';
import { inWindow, windowDays, type FileWindow } from '../core/trail-files.js';
import { describeFsError, walkEventFiles } from './local-files.js';
import { gzipSha256 } from './gzip-sha256.js';

const isMissing = (error: unknown) => ['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '');

/** Day folders visited when searching forward for the first digest after a range. */
const SEARCH_AFTER_DAYS = 400;

/**
 * A local folder that mirrors a trail's bucket (keys relative to the folder), e.g. made by
 * `trailkit download`. Signatures come from the `.meta.json` sidecars when present, else from
 * each digest's successor.
 */
export class LocalDigestStore implements DigestStore {
  readonly offline = true;
  readonly bucket = undefined;
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** The file of a key, or undefined when the key would leave the folder (`../`, absolute). */
  private pathOf(key: string): string | undefined {
    if (key.startsWith('/') || key.split('/').some((part) => part === '..')) return undefined;
    const path = resolve(this.root, ...key.split('/'));
    const rel = relative(this.root, path);
    return rel === '' || rel.startsWith('..') || rel.startsWith(sep) ? undefined : path;
  }

  private regionFolder(location: DigestLocation, kind: TrailFileKind): string {
    return regionRoot({ prefix: location.prefix, ...(location.orgId === undefined ? {} : { orgId: location.orgId }), account: location.account, kind, region: location.region });
  }

  private async names(folder: string, what: 'files' | 'folders'): Promise<string[]> {
    try {
      const entries = await readdir(join(this.root, folder), { withFileTypes: true });
      return entries.filter((e) => (what === 'folders' ? e.isDirectory() : !e.isDirectory()) && !e.name.startsWith('.')).map((e) => e.name).sort();
    } catch (error) {
      if (isMissing(error)) return [];
      throw new TrailkitError('input', `${join(this.root, folder)}: ${describeFsError(error)}`);
    }
  }

  /** Every file below `folder` (relative keys), sidecars and hidden names left out, in key order. */
  private async filesBelow(folder: string): Promise<string[]> {
    const out: string[] = [];
    for (const name of await this.names(folder, 'files')) if (!name.endsWith(DIGEST_METADATA_SUFFIX)) out.push(`${folder}${name}`);
    for (const sub of await this.names(folder, 'folders')) out.push(...(await this.filesBelow(`${folder}${sub}/`)));
    return out.sort();
  }

  async listDigestFolder(location: DigestLocation, fromMs: number, toMs: number): Promise<ScopedFile[]> {
    const root = this.regionFolder(location, 'CloudTrail-Digest');
    const out: ScopedFile[] = [];
    for (const day of dayFolders(fromMs, toMs, 0)) {
      for (const key of await this.filesBelow(`${root}${day}`)) {
        let size: number | undefined;
        try {
          size = (await stat(join(this.root, key))).size;
        } catch {
          size = undefined;
        }
        out.push({ key, kind: 'CloudTrail-Digest', relative: key.slice(root.length), ...(size === undefined ? {} : { size }) });
      }
    }
    return out;
  }

  async findDigestAfter(location: DigestLocation, afterDay: string, accept: (name: string) => boolean): Promise<string | undefined> {
    const root = this.regionFolder(location, 'CloudTrail-Digest');
    let visited = 0;
    for (const year of await this.names(root, 'folders')) {
      if (year < afterDay.slice(0, 4)) continue;
      for (const month of await this.names(`${root}${year}/`, 'folders')) {
        if (`${year}/${month}` < afterDay.slice(0, 7)) continue;
        for (const day of await this.names(`${root}${year}/${month}/`, 'folders')) {
          const folder = `${year}/${month}/${day}`;
          if (folder <= afterDay) continue;
          if (++visited > SEARCH_AFTER_DAYS) return undefined;
          for (const name of await this.names(`${root}${folder}/`, 'files')) if (accept(name)) return `${root}${folder}/${name}`;
        }
      }
    }
    return undefined;
  }

  /** What `grep` reads of the location's log and Insights folders, for the window. */
  async listEventFiles(location: DigestLocation, window: FileWindow): Promise<ScopedFile[]> {
    const days = windowDays(window);
    const out: ScopedFile[] = [];
    for (const kind of ['CloudTrail', 'CloudTrail-Insight'] as const) {
      const folder = this.regionFolder(location, kind);
      let files;
      try {
        files = await walkEventFiles(join(this.root, folder));
      } catch (error) {
        if (isMissing(error)) continue;
        throw new TrailkitError('input', `${join(this.root, folder)}: ${describeFsError(error)}`);
      }
      for (const file of files) {
        const rel = relative(join(this.root, folder), file.path).split(sep).join('/');
        if (inWindow(rel, window, days)) out.push({ key: `${folder}${rel}`, kind, relative: rel, size: file.size });
      }
    }
    return out;
  }

  async fetchDigest(_bucket: string, key: string): Promise<FetchedDigest> {
    const path = this.pathOf(key);
    if (path === undefined) return { found: false };
    let bytes: Buffer;
    let tooLarge: string | undefined;
    try {
      const info = await stat(path);
      if (info.isDirectory()) throw Object.assign(new Error('is a folder'), { code: 'EISDIR' });
      if (info.size > MAX_DIGEST_BYTES) {
        bytes = Buffer.alloc(0);
        tooLarge = `${info.size} bytes: larger than a digest file can be (${MAX_DIGEST_BYTES / 1024 / 1024} MiB)`;
      } else {
        bytes = await readFile(path);
      }
    } catch (error) {
      if (isMissing(error)) return { found: false };
      throw new TrailkitError('input', `${path}: ${describeFsError(error)}`);
    }
    const found = { found: true as const, bytes, ...(tooLarge === undefined ? {} : { tooLarge }) };
    let sidecarText: string | undefined;
    try {
      sidecarText = await readFile(`${path}${DIGEST_METADATA_SUFFIX}`, 'utf8');
    } catch (error) {
      if (!isMissing(error)) return { ...found, signature: undefined, sidecarProblem: describeFsError(error) };
    }
    if (sidecarText === undefined) return { ...found, signature: undefined };
    const parsed = parseDigestMetadata(sidecarText);
    if (!parsed.ok) return { ...found, signature: undefined, sidecarProblem: parsed.problem };
    if (parsed.metadata.key !== key) return { ...found, signature: undefined, sidecarProblem: `it names the key ${parsed.metadata.key}` };
    return {
      ...found,
      signature: { signature: parsed.metadata.signature, algorithm: parsed.metadata.signatureAlgorithm, source: 'sidecar' },
      metadata: parsed.metadata.metadata ?? { signature: parsed.metadata.signature, 'signature-algorithm': parsed.metadata.signatureAlgorithm },
      sidecarBucket: parsed.metadata.bucket,
    };
  }

  async hashLog(_bucket: string, key: string): Promise<LogCheck> {
    const path = this.pathOf(key);
    if (path === undefined) return { kind: 'not-found' };
    try {
      const result = await gzipSha256(createReadStream(path, { highWaterMark: 256 * 1024 }));
      return result.ok ? { kind: 'hashed', sha256: result.sha256 } : { kind: 'invalid-format', problem: result.problem, reason: result.reason };
    } catch (error) {
      if (isMissing(error)) return { kind: 'not-found' };
      throw new TrailkitError('input', `${path}: ${describeFsError(error)}`);
    }
  }
}

/** The account-region folders under a local archive, like discoverLocations does on S3. */
export async function discoverLocalLocations(root: string, options: { prefix?: string; kind: TrailFileKind }): Promise<DigestLocation[]> {
  const base = awsLogsRoot(options.prefix);
  const prefix = base.slice(0, -'AWSLogs/'.length).replace(/\/$/, '');
  const dirs = async (rel: string): Promise<string[]> => {
    try {
      return (await readdir(join(root, rel), { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    } catch (error) {
      if (isMissing(error)) return [];
      throw new TrailkitError('input', `${join(root, rel)}: ${describeFsError(error)}`);
    }
  };
  const accounts: { orgId: string | undefined; rel: string; account: string }[] = [];
  for (const name of await dirs(base)) {
    if (/^o-[a-z0-9]+$/.test(name)) {
      for (const inner of await dirs(`${base}${name}/`)) if (/^\d{12}$/.test(inner)) accounts.push({ orgId: name, rel: `${base}${name}/${inner}/`, account: inner });
    } else if (/^\d{12}$/.test(name)) {
      accounts.push({ orgId: undefined, rel: `${base}${name}/`, account: name });
    }
  }
  const out: DigestLocation[] = [];
  for (const a of accounts) {
    for (const region of await dirs(`${a.rel}${options.kind}/`)) out.push({ prefix, orgId: a.orgId, account: a.account, region });
  }
  return out;
}

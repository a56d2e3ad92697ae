import { createReadStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { DigestLocation, DigestStore, FetchedDigest, LogCheck } from '../core/digest-chain.js';
import { DIGEST_METADATA_SUFFIX, parseDigestMetadata } from '../core/digest-metadata.js';
import { TrailkitError } from '../core/errors.js';
import { awsLogsRoot, dayFolders, regionRoot, type TrailFileKind } from '../core/s3-layout.js';
import { describeFsError } from './local-files.js';
import { gzipSha256 } from './gzip-sha256.js';

const isMissing = (error: unknown) => ['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '');

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

  private async list(location: DigestLocation, kind: TrailFileKind, fromMs: number, toMs: number): Promise<string[]> {
    const root = regionRoot({ prefix: location.prefix, ...(location.orgId === undefined ? {} : { orgId: location.orgId }), account: location.account, kind, region: location.region });
    const keys: string[] = [];
    for (const day of dayFolders(fromMs, toMs, 0)) {
      const folder = `${root}${day}`;
      let names: string[];
      try {
        names = await readdir(join(this.root, folder));
      } catch (error) {
        if (isMissing(error)) continue;
        throw new TrailkitError('input', `${join(this.root, folder)}: ${describeFsError(error)}`);
      }
      for (const name of names.sort()) if (name.endsWith('.json.gz') && !name.startsWith('.')) keys.push(`${folder}${name}`);
    }
    return keys;
  }

  listDigestKeys(location: DigestLocation, fromMs: number, toMs: number): Promise<string[]> {
    return this.list(location, 'CloudTrail-Digest', fromMs, toMs);
  }

  listLogKeys(location: DigestLocation, fromMs: number, toMs: number): Promise<string[]> {
    return this.list(location, 'CloudTrail', fromMs, toMs);
  }

  async fetchDigest(_bucket: string, key: string): Promise<FetchedDigest> {
    const path = this.pathOf(key);
    if (path === undefined) return { found: false };
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      if (isMissing(error)) return { found: false };
      throw new TrailkitError('input', `${path}: ${describeFsError(error)}`);
    }
    let sidecarText: string | undefined;
    try {
      sidecarText = await readFile(`${path}${DIGEST_METADATA_SUFFIX}`, 'utf8');
    } catch (error) {
      if (!isMissing(error)) return { found: true, bytes, signature: undefined, sidecarProblem: describeFsError(error) };
    }
    if (sidecarText === undefined) return { found: true, bytes, signature: undefined };
    const parsed = parseDigestMetadata(sidecarText);
    if (!parsed.ok) return { found: true, bytes, signature: undefined, sidecarProblem: parsed.problem };
    if (parsed.metadata.key !== key) return { found: true, bytes, signature: undefined, sidecarProblem: `it names the key ${parsed.metadata.key}` };
    return {
      found: true,
      bytes,
      signature: { signature: parsed.metadata.signature, algorithm: parsed.metadata.signatureAlgorithm, source: 'sidecar' },
      sidecarBucket: parsed.metadata.bucket,
    };
  }

  async hashLog(_bucket: string, key: string): Promise<LogCheck> {
    const path = this.pathOf(key);
    if (path === undefined) return { kind: 'not-found' };
    try {
      const result = await gzipSha256(createReadStream(path, { highWaterMark: 256 * 1024 }));
      return result.ok ? { kind: 'hashed', sha256: result.sha256 } : { kind: 'invalid-format', problem: result.problem };
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

import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { awsLogsRoot, dayFolders, regionRoot, type TrailFileKind } from '../core/s3-layout.js';
import { dayOfRegionPath } from '../core/trail-files.js';
import { compareKeys } from '../core/trail-window.js';

/** One account-region folder of a trail in a bucket. */
export interface TrailLocation {
  readonly prefix: string;
  readonly orgId: string | undefined;
  readonly account: string;
  readonly region: string;
}

export interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly etag: string | undefined;
  readonly lastModified: Date | undefined;
}

/** Every CommonPrefix under `prefix` (a delimiter listing), across all pages. */
export async function listFolders(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }));
    for (const p of page.CommonPrefixes ?? []) if (p.Prefix !== undefined) out.push(p.Prefix);
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return out;
}

/** One delimiter listing, every page: the objects directly under `prefix` and its sub-folders. */
async function listLevel(s3: S3Client, bucket: string, prefix: string): Promise<{ objects: ListedObject[]; folders: string[] }> {
  const objects: ListedObject[] = [];
  const folders: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key !== undefined) objects.push({ key: o.Key, size: o.Size ?? 0, etag: o.ETag, lastModified: o.LastModified });
    for (const p of page.CommonPrefixes ?? []) if (p.Prefix !== undefined) folders.push(p.Prefix);
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return { objects, folders };
}

/**
 * The objects under a region folder (`.../KIND/REGION/`) that a read of `days` needs (see
 * core/trail-files.ts): every object of those day folders, at any depth, and every undated object
 * (in the region, year or month folder, or in a folder that is not a well-formed day), found with
 * one delimiter listing per level, so nothing an attacker writes beside the day folders escapes the
 * commands that read the trail. Well-formed days outside `days` are not listed. In a walk's order.
 */
export async function* listRegionScope(s3: S3Client, bucket: string, root: string, days: ReadonlySet<string>): AsyncGenerator<ListedObject> {
  const wanted = [...days];
  async function* level(prefix: string, depth: number): AsyncGenerator<ListedObject> {
    const { objects, folders } = await listLevel(s3, bucket, prefix);
    const items: ({ object: ListedObject } | { folder: string })[] = [...objects.map((object) => ({ object })), ...folders.map((folder) => ({ folder }))];
    items.sort((a, b) => compareKeys('object' in a ? a.object.key : a.folder.slice(0, -1), 'object' in b ? b.object.key : b.folder.slice(0, -1)));
    for (const item of items) {
      if ('object' in item) {
        yield item.object;
        continue;
      }
      const relative = item.folder.slice(root.length);
      const segment = relative.slice(0, -1).split('/').pop() ?? '';
      if (depth < 2 && /^\d+$/.test(segment) && segment.length === (depth === 0 ? 4 : 2)) {
        if (wanted.some((day) => day.startsWith(relative))) yield* level(item.folder, depth + 1);
        continue;
      }
      const day = depth === 2 ? dayOfRegionPath(relative) : undefined;
      if (day !== undefined && !days.has(day)) continue;
      yield* listObjects(s3, bucket, item.folder);
    }
  }
  yield* level(root, 0);
}

/** Every object under `prefix`, across all pages, in key order. */
export async function* listObjects(s3: S3Client, bucket: string, prefix: string, startAfter?: string): AsyncGenerator<ListedObject> {
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({
      Bucket: bucket,
      Prefix: prefix,
      ContinuationToken: token,
      ...(token === undefined && startAfter !== undefined ? { StartAfter: startAfter } : {}),
    }));
    for (const o of page.Contents ?? []) {
      if (o.Key === undefined) continue;
      yield { key: o.Key, size: o.Size ?? 0, etag: o.ETag, lastModified: o.LastModified };
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
}

const last = (folder: string) => folder.replace(/\/$/, '').split('/').pop() ?? '';

export interface DiscoverOptions {
  readonly prefix?: string;
  readonly kind: TrailFileKind;
  /** Only these accounts (default: all found). */
  readonly accounts?: readonly string[];
  /** Only these regions (default: all found). */
  readonly regions?: readonly string[];
  /** Only this organization id (default: every `o-...` folder found, and accounts outside one). */
  readonly orgId?: string;
}

/** Delimiter listings in flight at once while discovering folders (each is one small request). */
const DISCOVERY_CONCURRENCY = 16;

/** `fn` over `items`, at most `limit` at a time, results in the order of `items`. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** A trail folder found by discovery: one account-region of one kind. */
export interface DiscoveredFolder {
  readonly location: TrailLocation;
  readonly kind: TrailFileKind;
}

/**
 * Finds the account-region folders of a trail for several kinds at once, with delimiter listings
 * only (SPEC section 2): `AWSLogs/` holds account ids and `o-...` organization folders, each
 * account holds one folder per kind, which holds one folder per region. Nothing below a region is
 * listed. `AWSLogs/` is listed once for all kinds, and the listings of each level run in parallel,
 * so an organization trail with hundreds of accounts costs three round trips, not one per folder.
 * The result is in a stable order: by kind (as given), then account, then region.
 */
export async function discoverFolders(s3: S3Client, bucket: string, kinds: readonly TrailFileKind[], options: Omit<DiscoverOptions, 'kind'>): Promise<DiscoveredFolder[]> {
  const root = awsLogsRoot(options.prefix);
  const prefix = root.slice(0, -'AWSLogs/'.length).replace(/\/$/, '');
  const top = await listFolders(s3, bucket, root);
  const orgFolders = top.filter((folder) => /^o-[a-z0-9]+$/.test(last(folder)) && (options.orgId === undefined || options.orgId === last(folder)));
  const inOrgs = await mapLimit(orgFolders, DISCOVERY_CONCURRENCY, (folder) => listFolders(s3, bucket, folder));
  const accountFolders: { orgId: string | undefined; folder: string }[] = [];
  for (const folder of top) {
    const name = last(folder);
    if (/^o-[a-z0-9]+$/.test(name)) {
      const i = orgFolders.indexOf(folder);
      if (i >= 0) for (const inner of inOrgs[i] ?? []) accountFolders.push({ orgId: name, folder: inner });
    } else if (options.orgId === undefined) {
      accountFolders.push({ orgId: undefined, folder });
    }
  }
  const wanted = accountFolders.filter(({ folder }) => {
    const account = last(folder);
    return /^\d{12}$/.test(account) && (options.accounts === undefined || options.accounts.length === 0 || options.accounts.includes(account));
  });
  const pairs = kinds.flatMap((kind) => wanted.map((account) => ({ kind, ...account })));
  const regionLists = await mapLimit(pairs, DISCOVERY_CONCURRENCY, ({ kind, folder }) => listFolders(s3, bucket, `${folder}${kind}/`));
  const out: DiscoveredFolder[] = [];
  pairs.forEach(({ kind, orgId, folder }, i) => {
    for (const regionFolder of regionLists[i] ?? []) {
      const region = last(regionFolder);
      if (options.regions !== undefined && options.regions.length > 0 && !options.regions.includes(region)) continue;
      out.push({ kind, location: { prefix, orgId, account: last(folder), region } });
    }
  });
  return out;
}

/** The account-region folders of one kind (see discoverFolders). */
export async function discoverLocations(s3: S3Client, bucket: string, options: DiscoverOptions): Promise<TrailLocation[]> {
  const { kind, ...rest } = options;
  return (await discoverFolders(s3, bucket, [kind], rest)).map((found) => found.location);
}

/**
 * The objects of one location whose day folders can hold [since, until] (with a day of margin
 * either side), in key order: only those day prefixes are listed, never the whole bucket.
 */
export async function* listWindow(
  s3: S3Client,
  bucket: string,
  location: TrailLocation,
  kind: TrailFileKind,
  since: number,
  until: number,
  marginDays = 1,
): AsyncGenerator<ListedObject> {
  const root = regionRoot({ prefix: location.prefix, ...(location.orgId === undefined ? {} : { orgId: location.orgId }), account: location.account, kind, region: location.region });
  for (const day of dayFolders(since, until, marginDays)) {
    yield* listObjects(s3, bucket, `${root}${day}`);
  }
}

import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { awsLogsRoot, dayFolders, regionRoot, type TrailFileKind } from '../core/s3-layout.js';

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

/**
 * Finds the account-region folders of a trail with delimiter listings only (SPEC section 2):
 * `AWSLogs/` holds account ids and `o-...` organization folders, each account holds the kind's
 * folder, which holds one folder per region. Nothing below a region is listed here.
 */
export async function discoverLocations(s3: S3Client, bucket: string, options: DiscoverOptions): Promise<TrailLocation[]> {
  const root = awsLogsRoot(options.prefix);
  const prefix = root.slice(0, -'AWSLogs/'.length).replace(/\/$/, '');
  const top = await listFolders(s3, bucket, root);
  const accountFolders: { orgId: string | undefined; folder: string }[] = [];
  for (const folder of top) {
    const name = last(folder);
    if (/^o-[a-z0-9]+$/.test(name)) {
      if (options.orgId !== undefined && options.orgId !== name) continue;
      for (const inner of await listFolders(s3, bucket, folder)) accountFolders.push({ orgId: name, folder: inner });
    } else if (options.orgId === undefined) {
      accountFolders.push({ orgId: undefined, folder });
    }
  }
  const out: TrailLocation[] = [];
  for (const { orgId, folder } of accountFolders) {
    const account = last(folder);
    if (!/^\d{12}$/.test(account)) continue;
    if (options.accounts !== undefined && options.accounts.length > 0 && !options.accounts.includes(account)) continue;
    for (const regionFolder of await listFolders(s3, bucket, `${folder}${options.kind}/`)) {
      const region = last(regionFolder);
      if (options.regions !== undefined && options.regions.length > 0 && !options.regions.includes(region)) continue;
      out.push({ prefix, orgId, account, region });
    }
  }
  return out;
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

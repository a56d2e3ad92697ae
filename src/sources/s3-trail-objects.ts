import type { S3Client } from '@aws-sdk/client-s3';
import { awsErrorCode, isAccessDenied, mapAwsError } from '../aws/errors.js';
import { discoverFolders, listFolders, listObjects, listRegionScope, listWindow, type ListedObject, type TrailLocation } from '../aws/s3-trail-listing.js';
import { TrailkitError } from '../core/errors.js';
import { awsLogsRoot, regionRoot, type TrailFileKind } from '../core/s3-layout.js';
import { compareKeys } from '../core/trail-window.js';
import { inWindow, isEventFileName, windowDays } from '../core/trail-files.js';
import { readAhead } from './read-ahead.js';

/** Which part of a trail's bucket to read (`--bucket`, `--prefix`, `--account`, `--region`, `--organization-id`). */
export interface S3TrailQuery {
  readonly bucket: string;
  readonly prefix?: string;
  readonly accounts?: readonly string[];
  readonly regions?: readonly string[];
  readonly orgId?: string;
}

/** One folder to list: a location and a kind of file. */
export interface TrailFolder {
  readonly location: TrailLocation;
  readonly kind: TrailFileKind;
  /** `[prefix/]AWSLogs/[o-org/]ACCOUNT/KIND/REGION/` */
  readonly root: string;
}

export interface TrailObject extends ListedObject {
  readonly kind: TrailFileKind;
  readonly folder: TrailFolder;
}

/** The kinds whose files hold events: logs and Insights events (digests hold none). */
export const EVENT_KINDS: readonly TrailFileKind[] = ['CloudTrail', 'CloudTrail-Insight'];
export const ALL_KINDS: readonly TrailFileKind[] = ['CloudTrail', 'CloudTrail-Digest', 'CloudTrail-Insight'];

export function s3Url(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/** Maps a listing failure to one line: NoSuchBucket, AccessDenied naming s3:ListBucket, the rest. */
export function listingError(error: unknown, bucket: string): TrailkitError {
  if (error instanceof TrailkitError) return error;
  if (awsErrorCode(error) === 'NoSuchBucket') {
    return new TrailkitError('not-found', `bucket ${bucket} does not exist`, { hint: 'check --bucket: the trail\'s S3BucketName (aws cloudtrail get-trail --name TRAIL)', cause: error });
  }
  if (isAccessDenied(error)) {
    return new TrailkitError('access-denied', `s3:ListBucket on s3://${bucket}: access denied`, { hint: 'the caller needs the IAM permission s3:ListBucket on the bucket (and s3:GetObject on its objects)', cause: error });
  }
  return mapAwsError(error, { action: 's3:ListBucket', resource: `s3://${bucket}` });
}

/**
 * The folders to read, discovered with delimiter listings only, in the order a sorted walk of a
 * downloaded copy would visit them (account by account, then kind, then region).
 */
export async function trailFolders(s3: S3Client, query: S3TrailQuery, kinds: readonly TrailFileKind[]): Promise<TrailFolder[]> {
  const out: TrailFolder[] = [];
  try {
    const found = await discoverFolders(s3, query.bucket, kinds, {
      ...(query.prefix === undefined ? {} : { prefix: query.prefix }),
      ...(query.accounts === undefined ? {} : { accounts: query.accounts }),
      ...(query.regions === undefined ? {} : { regions: query.regions }),
      ...(query.orgId === undefined ? {} : { orgId: query.orgId }),
    });
    for (const { location, kind } of found) out.push({ location, kind, root: folderRoot(location, kind) });
  } catch (error) {
    throw listingError(error, query.bucket);
  }
  return out.sort((a, b) => compareKeys(a.root, b.root));
}

export function folderRoot(location: TrailLocation, kind: TrailFileKind): string {
  return regionRoot({ prefix: location.prefix, ...(location.orgId === undefined ? {} : { orgId: location.orgId }), account: location.account, kind, region: location.region });
}

/** An error for a bucket with no trail under the prefix, naming what is there instead. */
export async function noTrailError(s3: S3Client, query: S3TrailQuery): Promise<TrailkitError> {
  const root = awsLogsRoot(query.prefix);
  let top: string[] = [];
  try {
    top = await listFolders(s3, query.bucket, '');
  } catch {
    // Only for the hint.
  }
  const filters = [query.accounts?.length ? `--account ${query.accounts.join(',')}` : '', query.regions?.length ? `--region ${query.regions.join(',')}` : '', query.orgId ?? ''].filter((s) => s !== '');
  let hint: string;
  if (filters.length > 0 && top.includes(root)) hint = `no folders match ${filters.join(' ')}`;
  else if (top.includes('AWSLogs/') && root !== 'AWSLogs/') hint = 'the bucket has AWSLogs/ at its top level: drop --prefix';
  else if (top.length > 0 && !top.includes(root)) hint = `the bucket's top-level folders are ${top.slice(0, 5).join(', ')}${top.length > 5 ? ', ...' : ''}: is one of them the trail's --prefix?`;
  else hint = 'check --bucket and --prefix (the trail\'s S3KeyPrefix)';
  return new TrailkitError('not-found', `no CloudTrail log folders under s3://${query.bucket}/${root}`, { hint });
}

/** Listed keys held ahead of the reads, per folder: one ListObjectsV2 page. */
const LISTING_READ_AHEAD = 1000;

/**
 * The objects of `folders` that can hold events in [since, until], folder by folder, each in a
 * walk's order: the one set of core/trail-files.ts, which `validate-digest` judges too. In the
 * log and Insights folders: files with an event-file name in the day folders of the window (one
 * day of margin either side; well-named log files delivered before `since` are dropped) and every
 * undated file. In digest folders: every object of the window's day folders. With no `since`,
 * whole folders are listed (`download` of everything).
 */
export async function* windowObjects(
  s3: S3Client,
  bucket: string,
  folders: readonly TrailFolder[],
  window: { since?: number; until?: number },
  onListed?: (object: TrailObject) => void,
): AsyncGenerator<TrailObject> {
  const range = window.since === undefined ? undefined : { since: window.since, until: window.until ?? Date.now() };
  const days = range === undefined ? undefined : windowDays(range);
  const list = (folder: TrailFolder) => readAhead(
    range === undefined || days === undefined
      ? listObjects(s3, bucket, folder.root)
      : folder.kind === 'CloudTrail-Digest'
        ? listWindow(s3, bucket, folder.location, folder.kind, range.since, range.until)
        : listRegionScope(s3, bucket, folder.root, days),
    LISTING_READ_AHEAD,
  );
  // The next folder is listed while this one's objects are read, so the reads never wait for a listing.
  let next = folders[0] === undefined ? undefined : list(folders[0]);
  for (let i = 0; i < folders.length; i++) {
    const folder = folders[i] as TrailFolder;
    const listing = next as AsyncIterable<ListedObject>;
    next = folders[i + 1] === undefined ? undefined : list(folders[i + 1] as TrailFolder);
    try {
      for await (const object of listing) {
        const item: TrailObject = { ...object, kind: folder.kind, folder };
        onListed?.(item);
        if (folder.kind !== 'CloudTrail-Digest') {
          const relative = object.key.slice(folder.root.length);
          if (!isEventFileName(relative.slice(relative.lastIndexOf('/') + 1))) continue;
          if (!inWindow(relative, range, days)) continue;
        }
        if (range === undefined && window.until !== undefined && !dayAtMost(object.key, folder.root, window.until)) continue;
        yield item;
      }
    } catch (error) {
      throw listingError(error, bucket);
    }
  }
}

/** For a window with only --until: whether the key's day folder is at most a day after it. */
function dayAtMost(key: string, root: string, until: number): boolean {
  const m = /^(\d{4})\/(\d{2})\/(\d{2})\//.exec(key.slice(root.length));
  if (m === null) return true;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) <= until + 86_400_000;
}


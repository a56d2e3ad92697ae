/**
 * The S3 key layout of a trail (SPEC section 2):
 *
 *   [prefix/]AWSLogs/[o-orgid/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE.json.gz
 *   [prefix/]AWSLogs/[o-orgid/]ACCOUNT/CloudTrail-Digest/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail-Digest_REGION_TRAIL_HOMEREGION_YYYYMMDDTHHMMSSZ.json.gz
 *   [prefix/]AWSLogs/[o-orgid/]ACCOUNT/CloudTrail-Insight/REGION/YYYY/MM/DD/...json.gz
 */

export type TrailFileKind = 'CloudTrail' | 'CloudTrail-Digest' | 'CloudTrail-Insight';

export interface TrailKey {
  readonly key: string;
  /** The key prefix before `AWSLogs/`, without its trailing slash ('' when none). */
  readonly prefix: string;
  readonly orgId: string | undefined;
  readonly account: string;
  readonly kind: TrailFileKind;
  readonly region: string;
  /** `YYYY/MM/DD` of the folder. */
  readonly day: string;
  readonly fileName: string;
}

const KEY = /^(?:(.*)\/)?AWSLogs\/(?:(o-[a-z0-9]{10,32})\/)?(\d{12})\/(CloudTrail|CloudTrail-Digest|CloudTrail-Insight)\/([a-z0-9-]+)\/(\d{4}\/\d{2}\/\d{2})\/([^/]+)$/;

/** Parses a key in the trail layout, or undefined when it is not one. */
export function parseTrailKey(key: string): TrailKey | undefined {
  const m = KEY.exec(key);
  if (m === null) return undefined;
  return {
    key,
    prefix: m[1] ?? '',
    orgId: m[2],
    account: m[3] as string,
    kind: m[4] as TrailFileKind,
    region: m[5] as string,
    day: m[6] as string,
    fileName: m[7] as string,
  };
}

/** `[prefix/]AWSLogs/` */
export function awsLogsRoot(prefix: string | undefined): string {
  const p = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  return p === '' ? 'AWSLogs/' : `${p}/AWSLogs/`;
}

/** `[prefix/]AWSLogs/[o-orgid/]ACCOUNT/KIND/REGION/` */
export function regionRoot(parts: { prefix?: string; orgId?: string; account: string; kind: TrailFileKind; region: string }): string {
  const org = parts.orgId === undefined ? '' : `${parts.orgId}/`;
  return `${awsLogsRoot(parts.prefix)}${org}${parts.account}/${parts.kind}/${parts.region}/`;
}

function dayString(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}`;
}

const DAY_MS = 86_400_000;

/**
 * The `YYYY/MM/DD/` day folders that can hold files for events in [since, until], with
 * `marginDays` either side: a file is named by its delivery time, up to ~15 minutes after its
 * events, and deliveries can be late.
 */
export function dayFolders(since: number, until: number, marginDays = 1): string[] {
  if (!(since <= until)) return [];
  const first = Math.floor(since / DAY_MS) - marginDays;
  const last = Math.floor(until / DAY_MS) + marginDays;
  const out: string[] = [];
  for (let day = first; day <= last; day++) out.push(`${dayString(day * DAY_MS)}/`);
  return out;
}

export interface LogFileName {
  readonly account: string;
  readonly region: string;
  /** Epoch ms of the delivery time in the name (minute precision). */
  readonly deliveredAt: number;
}

const LOG_NAME = /^(\d{12})_CloudTrail(?:-Insight)?_([a-z0-9-]+)_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[A-Za-z0-9]+\.json\.gz$/;

export function parseLogFileName(name: string): LogFileName | undefined {
  const m = LOG_NAME.exec(name);
  if (m === null) return undefined;
  const [, account, region, y, mo, d, h, mi] = m as unknown as string[];
  return { account: account as string, region: region as string, deliveredAt: Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi)) };
}

export interface DigestFileName {
  readonly account: string;
  readonly region: string;
  readonly trailName: string;
  readonly homeRegion: string;
  /** Epoch ms of the digest end time in the name. */
  readonly endTime: number;
  readonly backfill: boolean;
}

const DIGEST_NAME = /^(\d{12})_CloudTrail-Digest_([a-z0-9-]+)_(.+)_([a-z]{2}(?:-[a-z]+)+-\d+)_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z(_backfill)?\.json\.gz$/;

export function parseDigestFileName(name: string): DigestFileName | undefined {
  const m = DIGEST_NAME.exec(name);
  if (m === null) return undefined;
  const [, account, region, trailName, homeRegion, y, mo, d, h, mi, s, backfill] = m as unknown as (string | undefined)[];
  return {
    account: account as string,
    region: region as string,
    trailName: trailName as string,
    homeRegion: homeRegion as string,
    endTime: Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)),
    backfill: backfill !== undefined,
  };
}

/** A trail ARN: arn:PARTITION:cloudtrail:REGION:ACCOUNT:trail/NAME */
export interface TrailArn {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly name: string;
}

const TRAIL_ARN = /^arn:(aws[a-z-]*):cloudtrail:([a-z0-9-]+):(\d{12}):trail\/(.+)$/;

export function parseTrailArn(arn: string): TrailArn | undefined {
  const m = TRAIL_ARN.exec(arn);
  if (m === null) return undefined;
  return { partition: m[1] as string, region: m[2] as string, account: m[3] as string, name: m[4] as string };
}

export function formatTrailArn(parts: TrailArn): string {
  return `arn:${parts.partition}:cloudtrail:${parts.region}:${parts.account}:trail/${parts.name}`;
}

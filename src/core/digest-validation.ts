/**
 * The integrity validation of `trailkit validate-digest` for one account-region (SPEC section 6):
 *
 * 1. The digest folder's day folders of the range are listed. Every object there is a digest of
 *    this trail (regular or backfill), a digest of another trail writing to the same folders, or
 *    INVALID (not a digest file of this account-region).
 * 2. Each chain is walked (digest-chain.ts). The trail's regular chain starts at the first digest
 *    after the range when there is one (the anchor): a deleted newest digest is then a link that
 *    finds nothing, however old the range; without an anchor, digests that were due and are absent
 *    are INVALID. Backfill digests form their own chain, as aws-cli walks them.
 * 3. The files that `grep`, `tail` and `download` read for the range (core/trail-files.ts) are
 *    judged: each is listed by a valid digest of this trail (its line is under that digest), by a
 *    valid digest of another trail, or it is INVALID (not CloudTrail's name or place; delivered
 *    where a valid digest covers its minute but does not list it; listed only by an invalid
 *    digest; in a gap or where digests are missing). A log file too recent for its digest to be
 *    due, and an Insights file (digests list log files only), are warnings.
 */
import {
  createLimiter,
  DIGEST_GRACE_MS,
  DIGEST_MESSAGES,
  digestKeyTime,
  HOUR_MS,
  lastSegment,
  MAX_DIGEST_BYTES,
  MINUTE_MS,
  s3Url,
  walkChain,
  type ChainEvent,
  type ChainResult,
  type DigestLocation,
  type DigestStatus,
  type DigestStore,
  type DigestVerdict,
  type GapEvent,
  type Interval,
  type LogVerdict,
  type RunControl,
  type ScopedFile,
  type TrailIdentity,
  type ValidateOptions,
} from './digest-chain.js';
import { displayTime, parseDigest } from './digest.js';
import { gunzipSingleMember } from './digest-gzip.js';
import { parseDigestFileName, type DigestFileName } from './s3-layout.js';
import { checkLogFilePlace, dayOfRegionPath } from './trail-files.js';

/** Account-regions validated at once; each holds at most `prefetch` + 1 digests' bytes. */
export const LOCATION_PARALLELISM = 4;

export interface Tally {
  validDigests: number;
  invalidDigests: number;
  unverifiableDigests: number;
  validBackfillDigests: number;
  invalidBackfillDigests: number;
  unverifiableBackfillDigests: number;
  validLogs: number;
  invalidLogs: number;
  /** Log files whose hash matches a digest whose signature is unverifiable. */
  unverifiableLogs: number;
  /** Well-formed log files in scope that no valid digest lists (INVALID). */
  unreferencedLogs: number;
  /** Log files that only digests which failed validation list (INVALID). */
  listedByInvalidLogs: number;
  /** Files in scope (log, Insights or digest folders) whose name or place is not CloudTrail's (INVALID). */
  misplacedFiles: number;
  /** Log files of other trails writing to the same folders, listed by their valid digests. */
  otherTrailLogs: number;
  /** Digests and log files of other trails that failed validation (INVALID). */
  otherTrailInvalid: number;
  /** Digests of other trails whose signature is unverifiable offline. */
  otherTrailUnverifiable: number;
  /** Log files delivered after the newest digest, before the next is due (a warning). */
  uncoveredLogs: number;
  /** Insights files: not listed by digest files (a warning). */
  insightFiles: number;
  /** Well-formed files of the margin days delivered outside the range (not judged). */
  outsideRange: number;
}

export interface LocationReport {
  readonly location: DigestLocation;
  readonly bucket: string | undefined;
  /** The trail's regular chain, then its backfill chain. */
  readonly events: ChainEvent[];
  /** Digests of other trails in the same folders that failed validation. */
  readonly otherTrailEvents: DigestVerdict[];
  /** Other trails found writing to the same folders. */
  readonly otherTrails: string[];
  /** Judged files in scope that no digest line of the trail covers, in key order. */
  readonly files: LogVerdict[];
  readonly foundStartMs: number | undefined;
  readonly foundEndMs: number | undefined;
  readonly tally: Tally;
  /** No digest of the trail in the range, and nothing after it shows one was due. */
  readonly noDigests: boolean;
  /** The first digest after the range, when one was found, and what became of it. */
  readonly anchor?: { readonly key: string; readonly status: DigestStatus; readonly detail?: string };
}

export function validateLocation(store: DigestStore, location: DigestLocation, options: ValidateOptions): Promise<LocationReport> {
  return walkLocation(store, location, options, { failure: undefined });
}

/**
 * Validates several account-regions: a few at a time (memory stays bounded however many accounts
 * an organization has), with one download/hash limiter for all. The first error ends the run.
 */
export function validateLocations(store: DigestStore, locations: readonly DigestLocation[], options: ValidateOptions, parallel = LOCATION_PARALLELISM): Promise<LocationReport[]> {
  const control: RunControl = { failure: undefined };
  const gate = createLimiter(Math.max(1, parallel));
  return Promise.all(locations.map((location) => gate.run(() => (control.failure === undefined ? walkLocation(store, location, options, control) : Promise.reject(control.failure.error)))));
}

async function walkLocation(store: DigestStore, location: DigestLocation, options: ValidateOptions, control: RunControl): Promise<LocationReport> {
  try {
    return await validate(store, location, options, control);
  } catch (error) {
    control.failure ??= { error };
    throw error;
  }
}

/** The digests found in a location's digest folder, sorted out. */
interface DigestFolderContents {
  /** Per trail (`name home`), its regular and backfill digests named in the range, oldest first. */
  readonly chains: Map<string, { trail: TrailIdentity; regular: string[]; backfill: string[] }>;
  /** This trail's regular digests named after the range, oldest first (the anchor candidates). */
  readonly after: string[];
  /** Objects that are not digest files of this account-region. */
  readonly misplaced: { key: string; problem: string }[];
}

const trailId = (t: TrailIdentity) => `${t.name} ${t.homeRegion}`;

function sortDigestFolder(listed: readonly ScopedFile[], location: DigestLocation, trail: TrailIdentity, fromMs: number, toMs: number): DigestFolderContents {
  const chains = new Map<string, { trail: TrailIdentity; regular: string[]; backfill: string[] }>();
  chains.set(trailId(trail), { trail, regular: [], backfill: [] });
  const after: string[] = [];
  const misplaced: { key: string; problem: string }[] = [];
  const names = new Map<string, DigestFileName>();
  for (const file of listed) {
    const name = parseDigestFileName(lastSegment(file.key));
    const day = dayOfRegionPath(file.relative);
    let problem: string | undefined;
    if (name === undefined) problem = 'the name is not ACCOUNT_CloudTrail-Digest_REGION_TRAIL_HOMEREGION_YYYYMMDDTHHMMSSZ.json.gz';
    else if (name.account !== location.account) problem = `the name says account ${name.account}, the folder ${location.account}`;
    else if (name.region !== location.region) problem = `the name says region ${name.region}, the folder ${location.region}`;
    else if (day === undefined || file.relative !== `${day}/${lastSegment(file.key)}`) problem = 'not directly in a YYYY/MM/DD day folder';
    else if (displayTime(name.endTime).slice(0, 10).replaceAll('-', '/') !== day) problem = `ends on ${displayTime(name.endTime).slice(0, 10)} by its name, in the day folder ${day}`;
    if (problem !== undefined || name === undefined) {
      misplaced.push({ key: file.key, problem: problem as string });
      continue;
    }
    names.set(file.key, name);
    const id = trailId({ name: name.trailName, homeRegion: name.homeRegion });
    if (id === trailId(trail) && !name.backfill && name.endTime > toMs) {
      after.push(file.key);
      continue;
    }
    if (name.endTime < Math.floor(fromMs / 1000) * 1000 || name.endTime > toMs) continue;
    let chain = chains.get(id);
    if (chain === undefined) {
      chain = { trail: { name: name.trailName, homeRegion: name.homeRegion }, regular: [], backfill: [] };
      chains.set(id, chain);
    }
    (name.backfill ? chain.backfill : chain.regular).push(file.key);
  }
  const byTime = (a: string, b: string) => (names.get(a)?.endTime as number) - (names.get(b)?.endTime as number) || (a < b ? -1 : a > b ? 1 : 0);
  for (const chain of chains.values()) {
    chain.regular.sort(byTime);
    chain.backfill.sort(byTime);
  }
  after.sort(byTime);
  return { chains, after, misplaced };
}

/** What one walk of a chain found. */
async function validate(store: DigestStore, location: DigestLocation, options: ValidateOptions, control: RunControl): Promise<LocationReport> {
  const { startMs, endMs, trail } = options;
  const nowMs = options.nowMs ?? Date.now();
  // As aws-cli: digests named from the start to an hour after the end (log files delivered late).
  const listEnd = endMs + HOUR_MS;
  // Three independent listings at once: the range's digest folders, the first digest after them
  // (used when the listing holds none after the range), and the files the other commands read.
  const isOurRegular = (name: string) => {
    const n = parseDigestFileName(name);
    return n !== undefined && !n.backfill && n.account === location.account && n.region === location.region && n.trailName === trail.name && n.homeRegion === trail.homeRegion;
  };
  const settle = <T>(p: Promise<T>): Promise<T> => {
    p.catch(() => undefined);
    return p;
  };
  const laterDigest = listEnd < nowMs ? settle(store.findDigestAfter(location, displayTime(listEnd).slice(0, 10).replaceAll('-', '/'), isOurRegular)) : Promise.resolve(undefined);
  const scopeListing = settle(store.listEventFiles(location, { since: startMs, until: endMs }));
  const listed = await store.listDigestFolder(location, startMs, listEnd);
  const folder = sortDigestFolder(listed, location, trail, startMs, listEnd);
  const sizes = new Map(listed.map((f) => [f.key, f.size]));

  // The bucket the digests are in: known for S3; offline, what the digests themselves say.
  let bucket = store.bucket;
  if (bucket === undefined) {
    // The trail's own digests first; then any other digest there (they name the bucket they were written to).
    const candidates = [...folder.misplaced.map((m) => m.key), ...[...folder.chains.values()].flatMap((c) => [...c.regular, ...c.backfill]).concat(folder.after)];
    for (const key of candidates.reverse()) {
      const f = await options.limit.run(() => store.fetchDigest('', key));
      if (!f.found || f.tooLarge !== undefined) continue;
      if (f.sidecarBucket !== undefined) {
        bucket = f.sidecarBucket;
        break;
      }
      const g = gunzipSingleMember(f.bytes, MAX_DIGEST_BYTES);
      const p = g.ok ? parseDigest(g.data) : undefined;
      if (p?.ok === true) {
        bucket = p.digest.digestS3Bucket;
        break;
      }
    }
    bucket ??= '';
  }
  const home = bucket;

  // The anchor: the trail's first regular digest after the range. Its previous link says whether
  // the chain went through the range (a deleted newest digest is then a link to nothing).
  const ours = folder.chains.get(trailId(trail)) as { trail: TrailIdentity; regular: string[]; backfill: string[] };
  const anchorKey = folder.after[0] ?? (await laterDigest);

  const walkOptions = { store, location, options, control, home, nowMs, sizes };
  const primary = await walkChain(ours.regular, { trail, backfill: false, primary: true }, walkOptions, anchorKey);
  const backfillChain = await walkChain(ours.backfill, { trail, backfill: true, primary: true }, walkOptions, undefined);
  const others: { trail: TrailIdentity; result: ChainResult }[] = [];
  for (const chain of folder.chains.values()) {
    if (chain.trail === trail || trailId(chain.trail) === trailId(trail)) continue;
    others.push({ trail: chain.trail, result: await walkChain(chain.regular, { trail: chain.trail, backfill: false, primary: false }, walkOptions, undefined) });
    if (chain.backfill.length > 0) others.push({ trail: chain.trail, result: await walkChain(chain.backfill, { trail: chain.trail, backfill: true, primary: false }, walkOptions, undefined) });
  }
  // The files the other commands read for this range.
  const scope = await scopeListing;
  await Promise.all([primary, backfillChain, ...others.map((o) => o.result)].flatMap((r) => r.tasks));
  if (control.failure !== undefined) throw control.failure.error;

  const events: ChainEvent[] = [...primary.events, ...backfillChain.events];
  const noDigests = ours.regular.length === 0 && ours.backfill.length === 0 && !events.some((e) => e.type === 'digest');

  // Completeness without an anchor to follow: CloudTrail delivers a digest every hour, with or
  // without log files, so a digest that was due and is absent was deleted (or logging stopped).
  const anchorUsed = primary.anchor?.followed === true || primary.anchor?.restarts === true;
  const newestListed = ours.regular[ours.regular.length - 1];
  if (!anchorUsed && newestListed !== undefined) {
    const newestMs = digestKeyTime(newestListed) as number;
    let count = 0;
    while (newestMs + count * HOUR_MS < endMs && newestMs + (count + 1) * HOUR_MS + DIGEST_GRACE_MS <= nowMs) count++;
    if (count > 0) {
      const untilMs = newestMs + count * HOUR_MS;
      events.unshift({
        type: 'digest',
        backfill: false,
        bucket: home,
        key: undefined,
        location: `${count} digest file${count === 1 ? '' : 's'} after ${s3Url(home, newestListed)}`,
        status: 'missing-after',
        verdict: DIGEST_MESSAGES.notFound,
        detail: `CloudTrail delivers a digest file every hour, even without log files; none covers ${displayTime(newestMs)} to ${displayTime(untilMs)} (deleted, or logging or log file validation was off)`,
        startTime: displayTime(newestMs),
        endTime: displayTime(untilMs),
        count,
        logFiles: [],
      });
    }
  }

  // The files in scope: each valid through a digest line above, or judged here.
  const listedByUs = new Set([...primary.listed.keys(), ...backfillChain.listed.keys()].filter((k) => !primary.silentLogs.has(k)));
  const listedByInvalid = new Map([...primary.listedByInvalid, ...backfillChain.listedByInvalid]);
  const otherListed = new Map<string, { trail: string; verdicts: LogVerdict[] }>();
  for (const o of others) {
    for (const [key, verdicts] of o.result.listed) otherListed.set(key, { trail: o.trail.name, verdicts });
    for (const [key, by] of o.result.listedByInvalid) if (!listedByInvalid.has(key)) listedByInvalid.set(key, by);
  }
  const covered = mergeIntervals(primary.covered);
  const gaps = primary.events.filter((e): e is GapEvent => e.type === 'gap');
  const newestNamedMs = primary.newestNamedMs;
  const files: LogVerdict[] = [];
  const judge = (file: ScopedFile): LogVerdict | undefined => {
    const base = { type: 'log' as const, bucket: home, key: file.key };
    if (listedByUs.has(file.key)) return undefined;
    if (primary.silentLogs.has(file.key)) return primary.listed.get(file.key)?.find((v) => v.status !== 'valid');
    const other = otherListed.get(file.key);
    if (other !== undefined) {
      const bad = other.verdicts.find((v) => v.status !== 'valid');
      if (bad !== undefined) return undefined; // reported with the other trail's digest
      return { ...base, status: 'other-trail', verdict: DIGEST_MESSAGES.otherTrail(other.trail), trail: other.trail };
    }
    const by = listedByInvalid.get(file.key);
    if (by !== undefined) return { ...base, status: 'listed-by-invalid', verdict: DIGEST_MESSAGES.listedByInvalid, detail: `listed by ${by}` };
    const place = checkLogFilePlace(file.relative, { account: location.account, region: location.region, kind: file.kind });
    if (!place.ok) return { ...base, status: 'misplaced', verdict: DIGEST_MESSAGES.misplacedLog, detail: place.problem };
    const m = place.name.deliveredAt;
    if (file.kind === 'CloudTrail-Insight') return { ...base, status: 'insight', verdict: DIGEST_MESSAGES.insight };
    const inside = covered.find((c) => c.startMs <= m && m + MINUTE_MS <= c.endMs);
    if (inside !== undefined) return { ...base, status: 'unreferenced', verdict: DIGEST_MESSAGES.unreferenced, detail: `delivered between ${displayTime(inside.startMs)} and ${displayTime(inside.endMs)}, which valid digests cover, and none lists it` };
    if (m + MINUTE_MS <= startMs || m > endMs) return { ...base, status: 'outside', verdict: 'outside the range' };
    const gap = gaps.find((g) => m + MINUTE_MS > g.fromMs && m < g.toMs);
    if (gap !== undefined) {
      gap.logFilesInside++;
      return { ...base, status: 'unreferenced', verdict: DIGEST_MESSAGES.unreferenced, detail: `delivered in a gap of the digest chain (${displayTime(gap.fromMs)} to ${displayTime(gap.toMs)})` };
    }
    // After the newest digest, before the next one is due: nothing can vouch for it yet.
    if (!anchorUsed && (newestNamedMs === undefined || m + MINUTE_MS > newestNamedMs) && m + MINUTE_MS + HOUR_MS + DIGEST_GRACE_MS > nowMs) {
      return { ...base, status: 'uncovered', verdict: DIGEST_MESSAGES.uncovered, detail: 'delivered after the newest digest file; validate again once the next one is delivered' };
    }
    return { ...base, status: 'unreferenced', verdict: DIGEST_MESSAGES.unreferenced, detail: noDigests ? 'no digest file of the range lists it: there is none' : 'no valid digest file covers the minute it was delivered' };
  };
  const judged = new Set<string>();
  for (const file of scope) {
    judged.add(file.key);
    const verdict = judge(file);
    if (verdict !== undefined) files.push(verdict);
  }
  // The anchor's late log files that are not there (deleted): the listing could not show them.
  for (const key of primary.silentLogs) {
    if (judged.has(key)) continue;
    const bad = primary.listed.get(key)?.find((v) => v.status !== 'valid');
    if (bad !== undefined) files.push(bad);
  }
  for (const m of folder.misplaced) files.push({ type: 'log', bucket: home, key: m.key, status: 'misplaced', verdict: DIGEST_MESSAGES.misplacedDigest, detail: m.problem, inDigestFolder: true });
  files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  // Other trails: their failures are INVALID lines of this run; their valid files are reported as theirs.
  const otherTrailEvents: DigestVerdict[] = [];
  for (const o of others) {
    for (const e of o.result.events) {
      if (e.type !== 'digest') continue;
      const badLogs = e.logFiles.filter((l) => l.status !== 'valid');
      if (e.status !== 'valid' || badLogs.length > 0) otherTrailEvents.push({ ...e, logFiles: badLogs });
    }
  }

  const tally = emptyTally();
  for (const event of events) {
    if (event.type !== 'digest') continue;
    const n = event.count ?? 1;
    if (event.backfill) {
      if (event.status === 'valid') tally.validBackfillDigests++;
      else if (event.status === 'unverifiable') tally.unverifiableBackfillDigests++;
      else tally.invalidBackfillDigests += n;
    } else if (event.status === 'valid') tally.validDigests++;
    else if (event.status === 'unverifiable') tally.unverifiableDigests++;
    else tally.invalidDigests += n;
    for (const log of event.logFiles) {
      if (log.status === 'valid') tally.validLogs++;
      else if (log.status === 'unverifiable') tally.unverifiableLogs++;
      else tally.invalidLogs++;
    }
  }
  for (const e of otherTrailEvents) {
    if (e.status === 'unverifiable') tally.otherTrailUnverifiable++;
    else if (e.status !== 'valid') tally.otherTrailInvalid += e.count ?? 1;
    tally.otherTrailInvalid += e.logFiles.filter((l) => l.status !== 'unverifiable').length;
  }
  for (const f of files) {
    if (f.status === 'unreferenced') tally.unreferencedLogs++;
    else if (f.status === 'listed-by-invalid') tally.listedByInvalidLogs++;
    else if (f.status === 'misplaced') tally.misplacedFiles++;
    else if (f.status === 'other-trail') tally.otherTrailLogs++;
    else if (f.status === 'uncovered') tally.uncoveredLogs++;
    else if (f.status === 'insight') tally.insightFiles++;
    else if (f.status === 'outside') tally.outsideRange++;
    else if (f.status === 'unverifiable') tally.unverifiableLogs++;
    else if (f.status !== 'valid') tally.invalidLogs++;
  }
  const foundStart = [primary.foundStartMs, backfillChain.foundStartMs].filter((x): x is number => x !== undefined);
  const foundEnd = [primary.foundEndMs, backfillChain.foundEndMs].filter((x): x is number => x !== undefined);
  return {
    location,
    bucket: home,
    events,
    otherTrailEvents,
    otherTrails: [...new Set(others.map((o) => o.trail.name))],
    files: files.filter((f) => f.status !== 'outside'),
    foundStartMs: foundStart.length === 0 ? undefined : Math.min(...foundStart),
    foundEndMs: foundEnd.length === 0 ? undefined : Math.max(...foundEnd),
    tally,
    noDigests,
    ...(primary.anchor === undefined ? {} : { anchor: { key: primary.anchor.key, status: primary.anchor.status, ...(primary.anchor.detail === undefined ? {} : { detail: primary.anchor.detail }) } }),
  };
}

/** Periods merged where one starts within a second of the previous one's end. */
function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => a.startMs - b.startMs);
  const out: { startMs: number; endMs: number }[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && i.startMs <= last.endMs + 1000) last.endMs = Math.max(last.endMs, i.endMs);
    else out.push({ startMs: i.startMs, endMs: i.endMs });
  }
  return out;
}

export function emptyTally(): Tally {
  return {
    validDigests: 0,
    invalidDigests: 0,
    unverifiableDigests: 0,
    validBackfillDigests: 0,
    invalidBackfillDigests: 0,
    unverifiableBackfillDigests: 0,
    validLogs: 0,
    invalidLogs: 0,
    unverifiableLogs: 0,
    unreferencedLogs: 0,
    listedByInvalidLogs: 0,
    misplacedFiles: 0,
    otherTrailLogs: 0,
    otherTrailInvalid: 0,
    otherTrailUnverifiable: 0,
    uncoveredLogs: 0,
    insightFiles: 0,
    outsideRange: 0,
  };
}

/** Sums tallies of several locations. */
export function sumTallies(tallies: readonly Tally[]): Tally {
  const total = emptyTally();
  for (const t of tallies) for (const k of Object.keys(total) as (keyof Tally)[]) total[k] += t[k];
  return total;
}

/** Whether nothing failed. Unverifiable signatures fail too, unless the user accepts them. */
export function isAllValid(tally: Tally, allowUnverifiable = false): boolean {
  const failed = tally.invalidDigests + tally.invalidBackfillDigests + tally.invalidLogs + tally.unreferencedLogs + tally.listedByInvalidLogs + tally.misplacedFiles + tally.otherTrailInvalid;
  const unverifiable = tally.unverifiableDigests + tally.unverifiableBackfillDigests + tally.unverifiableLogs + tally.otherTrailUnverifiable;
  return failed === 0 && (allowUnverifiable || unverifiable === 0);
}

/**
 * `trailkit verify --account`: is every enabled region of the account covered by a multi-region
 * trail that is logging and records read and write management events (CIS: CloudTrail enabled in
 * all regions)? Each region's DescribeTrails (with shadow trails) lists the trails that apply to
 * it; a region that refuses the call as unknown to the credentials is an opt-in region that is
 * not enabled, and is left out.
 */
import type { CheckResult, Probe, SelectorsInfo } from './verify-checks.js';

export const ACCOUNT_CHECK_IDS = ['account-regions-covered'] as const;
export type AccountCheckId = (typeof ACCOUNT_CHECK_IDS)[number];

export interface RegionTrail {
  arn: string;
  name: string;
  homeRegion: string;
  isMultiRegionTrail: boolean;
}

export interface TrailHealth {
  isLogging: boolean;
  /** Read and write management events recorded. */
  managementRead: boolean;
  managementWrite: boolean;
}

export interface AccountEvidence {
  readonly accountId?: string;
  /** Per region: the trails that apply there, `undefined` when the region is not enabled. */
  readonly regions: Readonly<Record<string, Probe<RegionTrail[] | undefined>>>;
  /** Per trail ARN, read in the trail's home region. */
  readonly trails: Readonly<Record<string, Probe<TrailHealth>>>;
}

/** Which management events a trail's selectors record (no custom selectors: all of them). */
export function managementCoverage(selectors: SelectorsInfo, hasCustomSelectors: boolean | undefined): { read: boolean; write: boolean } {
  const { basic, advanced } = selectors;
  if (basic.length === 0 && advanced.length === 0) return hasCustomSelectors === true ? { read: false, write: false } : { read: true, write: true };
  let read = false;
  let write = false;
  for (const s of basic) {
    if (s.IncludeManagementEvents === false) continue;
    const rw = s.ReadWriteType ?? 'All';
    if (rw === 'All' || rw === 'ReadOnly') read = true;
    if (rw === 'All' || rw === 'WriteOnly') write = true;
  }
  for (const s of advanced) {
    const fields = s.FieldSelectors ?? [];
    if (!(fields.find((f) => f.Field === 'eventCategory')?.Equals ?? []).includes('Management')) continue;
    const only = fields.find((f) => f.Field === 'readOnly')?.Equals?.[0];
    if (only === undefined || only === 'true') read = true;
    if (only === undefined || only === 'false') write = true;
  }
  return { read, write };
}

export function evaluateAccountChecks(evidence: AccountEvidence): CheckResult[] {
  const id: AccountCheckId = 'account-regions-covered';
  const covering = (t: RegionTrail): boolean => {
    const health = evidence.trails[t.arn];
    return t.isMultiRegionTrail && health?.ok === true && health.value.isLogging && health.value.managementRead && health.value.managementWrite;
  };
  const regions: Record<string, { trails: string[]; covered: boolean } | { unreadable: string }> = {};
  const uncovered: string[] = [];
  const unreadable: string[] = [];
  let enabled = 0;
  for (const [region, probe] of Object.entries(evidence.regions).sort(([a], [b]) => a.localeCompare(b))) {
    if (!probe.ok) {
      regions[region] = { unreadable: probe.denied === undefined ? probe.error : `needs ${probe.denied}` };
      unreadable.push(region);
      continue;
    }
    if (probe.value === undefined) continue;
    enabled++;
    const good = probe.value.filter(covering);
    regions[region] = { trails: probe.value.map((t) => `${t.arn}${covering(t) ? '' : ` (${why(t, evidence.trails[t.arn])})`}`), covered: good.length > 0 };
    if (good.length === 0) uncovered.push(region);
  }
  const trailsSeen = Object.keys(evidence.trails);
  const ev = { account: evidence.accountId ?? null, enabledRegions: enabled, regions, trails: trailsSeen };
  const fix = 'trailkit setup --trail-name TRAIL --bucket BUCKET (a multi-region trail, logging all management events)';
  if (uncovered.length > 0) {
    return [{ id, status: 'fail', message: `${uncovered.length} of ${enabled} enabled regions have no logging multi-region trail recording read and write management events: ${uncovered.join(', ')}`, evidence: ev, remediation: fix }];
  }
  if (enabled === 0 && unreadable.length > 0) {
    return [{ id, status: 'skip', message: `no region could be read (${unreadable.join(', ')}): needs cloudtrail:DescribeTrails`, evidence: ev }];
  }
  const names = [...new Set(Object.values(regions).flatMap((r) => ('trails' in r ? r.trails.filter((t) => !t.includes(' (')) : [])))];
  const note = unreadable.length > 0 ? ` (${unreadable.length} regions could not be read: ${unreadable.join(', ')})` : '';
  return [{ id, status: unreadable.length > 0 ? 'warn' : 'pass', message: `all ${enabled} enabled regions are covered by ${names.join(', ')}${note}`, evidence: ev, ...(unreadable.length > 0 ? { remediation: 'grant cloudtrail:DescribeTrails in every region' } : {}) }];
}

function why(trail: RegionTrail, health: Probe<TrailHealth> | undefined): string {
  if (!trail.isMultiRegionTrail) return 'single-region';
  if (health === undefined || !health.ok) return 'status unreadable';
  const parts = [health.value.isLogging ? undefined : 'not logging', health.value.managementRead && health.value.managementWrite ? undefined : 'not all management events'].filter(Boolean);
  return parts.join(', ');
}

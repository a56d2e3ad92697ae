import { DescribeTrailsCommand, GetEventSelectorsCommand, GetTrailStatusCommand } from '@aws-sdk/client-cloudtrail';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { managementCoverage, type AccountEvidence, type RegionTrail, type TrailHealth } from '../core/account-coverage.js';
import { partitionOf } from '../core/policies.js';
import { KNOWN_REGIONS } from '../core/regions.js';
import type { Probe, SelectorsInfo } from '../core/verify-checks.js';
import type { AwsClients } from './clients.js';
import { awsErrorCode } from './errors.js';
import { probe } from './trail-evidence.js';

/** Errors a region answers with when it is an opt-in region this account has not enabled. */
const NOT_ENABLED = new Set(['UnrecognizedClientException', 'InvalidClientTokenId', 'AuthFailure', 'OptInRequired']);

async function inBatches<T>(items: readonly T[], size: number, run: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
}

/** The regions of the caller's partition, each DescribeTrails'd, then each trail's status and selectors. */
export async function gatherAccountEvidence(clients: AwsClients): Promise<AccountEvidence> {
  const identity = await probe('sts:GetCallerIdentity', async () => (await (await clients.sts()).send(new GetCallerIdentityCommand({}))));
  const callerPartition = identity.ok ? /^arn:([^:]+):/.exec(identity.value.Arn ?? '')?.[1] ?? 'aws' : 'aws';
  const regionList = KNOWN_REGIONS.filter((r) => partitionOf(r) === callerPartition);
  const regions: Record<string, Probe<RegionTrail[] | undefined>> = {};
  const seen = new Map<string, RegionTrail>();
  await inBatches(regionList, 8, async (region) => {
    regions[region] = await probe('cloudtrail:DescribeTrails', async () => {
      try {
        const out = await (await clients.cloudTrail(region)).send(new DescribeTrailsCommand({ includeShadowTrails: true }));
        return (out.trailList ?? []).flatMap((t) => {
          if (t.TrailARN === undefined) return [];
          const trail: RegionTrail = { arn: t.TrailARN, name: t.Name ?? t.TrailARN, homeRegion: t.HomeRegion ?? t.TrailARN.split(':')[3] ?? region, isMultiRegionTrail: t.IsMultiRegionTrail === true };
          // A shadow trail of another region's multi-region trail, or a trail homed here.
          if (!trail.isMultiRegionTrail && trail.homeRegion !== region) return [];
          seen.set(trail.arn, trail);
          return [trail];
        });
      } catch (error) {
        if (NOT_ENABLED.has(awsErrorCode(error) ?? '')) return undefined;
        throw error;
      }
    });
  });
  const trails: Record<string, Probe<TrailHealth>> = {};
  await inBatches([...seen.values()], 8, async (trail) => {
    trails[trail.arn] = await probe('cloudtrail:GetTrailStatus and cloudtrail:GetEventSelectors', async () => {
      const home = await clients.cloudTrail(trail.homeRegion);
      const status = await home.send(new GetTrailStatusCommand({ Name: trail.arn }));
      const selectors = await home.send(new GetEventSelectorsCommand({ TrailName: trail.arn }));
      const info: SelectorsInfo = { basic: (selectors.EventSelectors ?? []) as SelectorsInfo['basic'], advanced: (selectors.AdvancedEventSelectors ?? []) as SelectorsInfo['advanced'] };
      const coverage = managementCoverage(info, info.basic.length > 0 || info.advanced.length > 0);
      return { isLogging: status.IsLogging === true, managementRead: coverage.read, managementWrite: coverage.write };
    });
  });
  return { ...(identity.ok && identity.value.Account !== undefined ? { accountId: identity.value.Account } : {}), regions, trails };
}

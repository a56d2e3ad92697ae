import { ListPublicKeysCommand, type CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { TrailkitError } from '../core/errors.js';
import { makePublicKey, type DigestPublicKey, type PublicKeyProvider } from '../core/digest-public-keys.js';
import { displayTime } from '../core/digest.js';
import { mapAwsError } from './errors.js';

const HOUR_MS = 3_600_000;

/** The digest-signing public keys valid in [startMs, endMs], from ListPublicKeys (all pages). */
export async function listPublicKeys(cloudTrail: CloudTrailClient, startMs: number, endMs: number, region?: string): Promise<DigestPublicKey[]> {
  const keys: DigestPublicKey[] = [];
  let token: string | undefined;
  try {
    do {
      const page = await cloudTrail.send(new ListPublicKeysCommand({ StartTime: new Date(startMs), EndTime: new Date(endMs), NextToken: token }));
      for (const entry of page.PublicKeyList ?? []) {
        if (entry.Value === undefined) continue;
        keys.push(makePublicKey(entry.Value, entry.ValidityStartTime?.getTime(), entry.ValidityEndTime?.getTime()));
      }
      token = page.NextToken;
    } while (token !== undefined && token !== '');
  } catch (error) {
    throw mapAwsError(error, { action: 'cloudtrail:ListPublicKeys', ...(region === undefined ? {} : { resource: `region ${region}` }) });
  }
  return keys;
}

/**
 * Keys from ListPublicKeys, called in each source region (CloudTrail signs each region's digests
 * with that region's key pair, and a region's keys are listed only there), once per region for
 * [start, end + 2 h] as aws-cli does, and around a backfill digest's generation time when needed.
 */
export function awsKeyProvider(client: (region: string) => Promise<CloudTrailClient>, startMs: number, endMs: number): PublicKeyProvider {
  const byRegion = new Map<string, Promise<DigestPublicKey[]>>();
  const around = new Map<string, Promise<DigestPublicKey[]>>();
  return {
    keys(region) {
      let found = byRegion.get(region);
      if (found === undefined) {
        found = (async () => {
          const until = endMs + 2 * HOUR_MS;
          const keys = await listPublicKeys(await client(region), startMs, until, region);
          if (keys.length === 0) {
            throw new TrailkitError('input', `no CloudTrail public keys in region ${region} between ${displayTime(startMs)} and ${displayTime(until)}: ListPublicKeys in ${region} returned none`, {
              hint: `was log file validation on for the trail there? Keys can also be given with --public-keys ${region}=FILE (aws cloudtrail list-public-keys --region ${region})`,
            });
          }
          return keys;
        })();
        byRegion.set(region, found);
      }
      return found;
    },
    keysAround(region, atMs) {
      const id = `${region}@${atMs}`;
      let found = around.get(id);
      if (found === undefined) {
        found = (async () => listPublicKeys(await client(region), atMs - HOUR_MS, atMs + HOUR_MS, region))();
        around.set(id, found);
      }
      return found;
    },
  };
}

import { ListPublicKeysCommand, type CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { makePublicKey, type DigestPublicKey } from '../core/digest-public-keys.js';
import { mapAwsError } from './errors.js';

/** The digest-signing public keys valid in [startMs, endMs], from ListPublicKeys (all pages). */
export async function listPublicKeys(cloudTrail: CloudTrailClient, startMs: number, endMs: number): Promise<DigestPublicKey[]> {
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
    throw mapAwsError(error, { action: 'cloudtrail:ListPublicKeys' });
  }
  return keys;
}

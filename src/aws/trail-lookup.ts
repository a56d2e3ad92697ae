/**
 * `--trail NAME|ARN` for `index` and `athena ddl`: the trail's bucket, key prefix and ARN from
 * GetTrail, called in the trail's home region when an ARN names it. One function, so that the
 * shared resolution of the global options can replace it without touching its callers.
 */
import { GetTrailCommand } from '@aws-sdk/client-cloudtrail';
import { TrailkitError } from '../core/errors.js';
import { parseTrailArn } from '../core/s3-layout.js';
import type { AwsClients } from './clients.js';
import { awsErrorCode, mapAwsError } from './errors.js';

export interface TrailLocation {
  readonly name: string;
  readonly arn: string;
  readonly homeRegion: string;
  readonly account: string;
  readonly bucket: string;
  readonly prefix: string | undefined;
  readonly isOrganizationTrail: boolean;
  readonly isMultiRegionTrail: boolean;
}

export async function lookupTrail(clients: AwsClients, nameOrArn: string): Promise<TrailLocation> {
  const arn = parseTrailArn(nameOrArn);
  const client = await clients.cloudTrail(arn?.region);
  let trail;
  try {
    trail = (await client.send(new GetTrailCommand({ Name: nameOrArn }))).Trail;
  } catch (error) {
    if (awsErrorCode(error) === 'TrailNotFoundException') {
      throw new TrailkitError('not-found', `trail ${nameOrArn} does not exist${arn === undefined ? ' in this region' : ''}`, { hint: 'give the trail ARN, or --region its home region' });
    }
    throw mapAwsError(error, { action: 'cloudtrail:GetTrail', resource: nameOrArn });
  }
  const parsed = trail?.TrailARN === undefined ? undefined : parseTrailArn(trail.TrailARN);
  if (trail === undefined || parsed === undefined || trail.S3BucketName === undefined) {
    throw new TrailkitError('not-found', `GetTrail ${nameOrArn} returned no trail ARN or bucket`);
  }
  return {
    name: parsed.name,
    arn: trail.TrailARN as string,
    homeRegion: trail.HomeRegion ?? parsed.region,
    account: parsed.account,
    bucket: trail.S3BucketName,
    prefix: trail.S3KeyPrefix === undefined || trail.S3KeyPrefix === '' ? undefined : trail.S3KeyPrefix,
    isOrganizationTrail: trail.IsOrganizationTrail === true,
    isMultiRegionTrail: trail.IsMultiRegionTrail === true,
  };
}

/**
 * `--trail NAME|ARN`: reads a trail's settings (GetTrail in its home region) so that a user can
 * name the trail instead of copying its bucket, prefix and log group out of `aws cloudtrail
 * get-trail`.
 */
import { GetTrailCommand, ListTrailsCommand, type Trail, type TrailInfo } from '@aws-sdk/client-cloudtrail';
import { TrailkitError } from '../core/errors.js';
import type { TrailRef } from '../core/resource-refs.js';
import { parseTrailArn } from '../core/s3-layout.js';
import type { AwsClients } from './clients.js';
import { awsErrorCode, mapAwsError } from './errors.js';

/** What the search and validation commands need from a trail. */
export interface TrailTarget {
  readonly name: string;
  readonly arn: string;
  readonly homeRegion: string;
  readonly bucket: string | undefined;
  /** The S3 key prefix, without slashes at its ends ('' when none). */
  readonly prefix: string;
  readonly logGroupArn: string | undefined;
  readonly isOrganizationTrail: boolean;
  readonly isMultiRegionTrail: boolean;
  /** For an organization trail, when organizations:DescribeOrganization answered. */
  readonly organizationId: string | undefined;
}

const NOT_FOUND = new Set(['TrailNotFoundException', 'TrailNotFound']);

async function getTrail(clients: AwsClients, name: string, region: string | undefined): Promise<Trail | undefined> {
  const cloudTrail = await clients.cloudTrail(region);
  try {
    return (await cloudTrail.send(new GetTrailCommand({ Name: name }))).Trail;
  } catch (error) {
    if (NOT_FOUND.has(awsErrorCode(error) ?? '')) return undefined;
    throw mapAwsError(error, { action: 'cloudtrail:GetTrail', resource: `trail ${name}` });
  }
}

/** Every trail the account has, whatever its home region (ListTrails, every page). */
async function listTrails(clients: AwsClients): Promise<TrailInfo[]> {
  const cloudTrail = await clients.cloudTrail();
  const out: TrailInfo[] = [];
  let token: string | undefined;
  do {
    let page;
    try {
      page = await cloudTrail.send(new ListTrailsCommand(token === undefined ? {} : { NextToken: token }));
    } catch (error) {
      throw mapAwsError(error, { action: 'cloudtrail:ListTrails' });
    }
    out.push(...(page.Trails ?? []));
    token = page.NextToken;
  } while (token !== undefined && token !== '');
  return out;
}

async function organizationIdOf(clients: AwsClients, debug: (message: string) => void): Promise<string | undefined> {
  try {
    const { DescribeOrganizationCommand } = await import('@aws-sdk/client-organizations');
    return (await (await clients.organizations()).send(new DescribeOrganizationCommand({}))).Organization?.Id;
  } catch (error) {
    // Not fatal: the o-... folder is then found by listing the bucket.
    debug(`organizations:DescribeOrganization failed (${awsErrorCode(error) ?? 'error'}); the organization folder is found by listing`);
    return undefined;
  }
}

function notFound(ref: string, hint: string): TrailkitError {
  return new TrailkitError('not-found', `trail ${ref}: not found in this account`, { hint });
}

/**
 * GetTrail for an ARN in the ARN's region. A name is looked up in the region to call, and when
 * that region does not hold it (GetTrail only finds a trail by name in its own region), among
 * ListTrails' trails of every region: one match is read in its home region, several are an error
 * asking for the ARN.
 */
export async function readTrail(clients: AwsClients, ref: TrailRef, debug: (message: string) => void = () => undefined): Promise<TrailTarget> {
  let trail: Trail | undefined;
  let label: string;
  if (ref.kind === 'arn') {
    label = ref.arn;
    trail = await getTrail(clients, ref.arn, ref.parsed.region);
    if (trail === undefined) throw notFound(ref.arn, 'check the ARN and --profile (the trail\'s account)');
  } else {
    label = ref.name;
    trail = await getTrail(clients, ref.name, undefined);
    if (trail === undefined) {
      const matches = (await listTrails(clients)).filter((t) => t.Name === ref.name && t.TrailARN !== undefined);
      if (matches.length > 1) {
        throw new TrailkitError('usage', `trail ${ref.name}: ${matches.length} trails have this name (${matches.map((t) => t.TrailARN).join(', ')})`, { hint: 'pass the ARN of the one you mean with --trail' });
      }
      const match = matches[0];
      if (match === undefined) throw notFound(ref.name, 'check the name (aws cloudtrail list-trails), --profile and --region');
      debug(`trail ${ref.name} is ${match.TrailARN ?? ''}, home region ${match.HomeRegion ?? '?'}`);
      trail = await getTrail(clients, match.TrailARN as string, match.HomeRegion ?? parseTrailArn(match.TrailARN as string)?.region);
      if (trail === undefined) throw notFound(ref.name, 'check --profile and --region');
    }
  }
  const arn = trail.TrailARN ?? (ref.kind === 'arn' ? ref.arn : '');
  const homeRegion = trail.HomeRegion ?? parseTrailArn(arn)?.region ?? '';
  const isOrganizationTrail = trail.IsOrganizationTrail === true;
  const target: TrailTarget = {
    name: trail.Name ?? label,
    arn,
    homeRegion,
    bucket: trail.S3BucketName ?? undefined,
    prefix: (trail.S3KeyPrefix ?? '').replace(/^\/+|\/+$/g, ''),
    logGroupArn: trail.CloudWatchLogsLogGroupArn ?? undefined,
    isOrganizationTrail,
    isMultiRegionTrail: trail.IsMultiRegionTrail === true,
    organizationId: isOrganizationTrail ? await organizationIdOf(clients, debug) : undefined,
  };
  debug(`trail ${target.arn}: bucket ${target.bucket ?? '(none)'}, prefix '${target.prefix}', log group ${target.logGroupArn ?? '(none)'}${isOrganizationTrail ? `, organization ${target.organizationId ?? '(found by listing)'}` : ''}`);
  return target;
}

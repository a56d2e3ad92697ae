import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { AwsClients } from '../aws/clients.js';
import { mapAwsError } from '../aws/errors.js';
import { usageError } from '../core/errors.js';
import { lookupAttributeFor, lookupStart } from '../core/lookup-attribute.js';
import { compileFilter, type CompiledFilter, type FilterSpec } from '../core/record-filter.js';
import { formatInstant } from '../core/trail-window.js';
import type { FileSearchOptions } from '../sources/file-search.js';
import { LOOKUP_REQUESTS_PER_SECOND, lookupEvents, RequestPacer, type LookupPage, type LookupQuery } from '../sources/lookup-events.js';
import type { CliContext } from './context.js';
import { applyWindow } from './remote-run.js';

/** A LookupEvents read, set up: the region, the query and one pacer for every request of the run. */
export interface LookupSession {
  readonly region: string;
  readonly cloudTrail: CloudTrailClient;
  readonly query: LookupQuery;
  readonly filter: CompiledFilter;
  readonly pacer: RequestPacer;
  pages(signal: AbortSignal | undefined, options?: FileSearchOptions): AsyncGenerator<LookupPage>;
}

/**
 * Resolves the region to call (--region, else AWS_REGION, else the profile's), the window (the
 * command's default, said on stderr) and the lookup attribute. A window that starts more than
 * 90 days ago is cut to what the event history holds, with a warning; one that ends before that
 * is an error.
 */
export async function openLookup(ctx: CliContext, clients: AwsClients, spec: FilterSpec, defaultMs: number, options: { follow: boolean }): Promise<LookupSession> {
  const cloudTrail = await clients.cloudTrail(ctx.globals.region);
  let region: string;
  try {
    region = await cloudTrail.config.region();
  } catch (error) {
    throw mapAwsError(error, { action: 'cloudtrail:LookupEvents' });
  }
  const window = applyWindow(ctx, spec, defaultMs, `the event history of ${region} (LookupEvents)`, options);
  const now = ctx.now().getTime();
  const { start, clamped, empty } = lookupStart(window.since, window.until, now);
  if (empty) {
    throw usageError(`--until ${formatInstant(window.until)}: the event history (LookupEvents) keeps only the last 90 days`, "search the trail's S3 bucket instead: --trail TRAIL or --bucket BUCKET");
  }
  if (clamped) {
    ctx.warn(`the event history (LookupEvents) keeps the last 90 days: nothing before ${formatInstant(start)} is searched (--trail or --bucket reads the trail's S3 bucket for older events)`);
  }
  const attribute = lookupAttributeFor(spec);
  ctx.debug(`LookupEvents in ${region}: ${attribute === undefined ? 'no lookup attribute' : `lookup attribute ${attribute.key}=${attribute.value}`}; every filter is also applied locally`);
  const filter = compileFilter(spec);
  const pacer = new RequestPacer(LOOKUP_REQUESTS_PER_SECOND);
  const query: LookupQuery = { ...(attribute === undefined ? {} : { attribute }), since: start, until: window.until };
  return {
    region,
    cloudTrail,
    query,
    filter,
    pacer,
    pages: (signal, extra = {}) => lookupEvents(cloudTrail, query, filter, { ...extra, pacer, region, ...(signal === undefined ? {} : { signal }) }),
  };
}

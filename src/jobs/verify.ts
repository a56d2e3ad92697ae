/**
 * `verify` as a job: gathers a trail's (or the account's) settings from AWS and evaluates the
 * checks of SPEC section 8, returning the results; rendering them is the caller's business.
 */
import type { AwsClients } from '../aws/clients.js';
import { ACCOUNT_CHECK_IDS, evaluateAccountChecks } from '../core/account-coverage.js';
import { sumTallies } from '../core/digest-validation.js';
import { usageError } from '../core/errors.js';
import { parseTrailArn } from '../core/s3-layout.js';
import { CHECK_IDS, evaluateChecks, selectChecks, summarize, type CheckResult, type CheckSummary, type IntegrityInfo, type TrailInfo } from '../core/verify-checks.js';
import { renderDigestText } from '../output/digest-report.js';
import { jobContext, throwIfAborted, withAwsClients, type JobContext, type JobOptions } from './job-options.js';
import { collectDigestReports } from './validate-digests.js';

export interface VerifyTrailInput {
  /** The trail's name or ARN. */
  readonly trail: string;
  /** Check ids to keep (none: all) and to drop. */
  readonly only?: readonly string[];
  readonly skip?: readonly string[];
  /** Warnings fail the run too. */
  readonly strict?: boolean;
  /** The window of the integrity check, in hours back from now (default 24). */
  readonly integrityHours?: number;
  /** Public key files (`[REGION=]FILE` split) for the integrity check instead of ListPublicKeys. */
  readonly publicKeyFiles?: readonly { region?: string; path: string }[];
}

export interface VerifyAccountInput {
  readonly only?: readonly string[];
  readonly skip?: readonly string[];
  readonly strict?: boolean;
}

export interface VerifyReport {
  /** The trail's ARN (the name given when GetTrail failed), or `account ID`. */
  readonly subject: string;
  /** For verifyAccount: the account id, when STS answered. */
  readonly accountId?: string | null;
  readonly checks: readonly CheckResult[];
  readonly summary: CheckSummary;
  readonly startedAt: Date;
  readonly seconds: number;
}

/** A probe's error without the SDK's JavaScript class name in front (`CredentialsProviderError: ...`). */
function withoutClassName(error: string): string {
  return error.replace(/^(?:[A-Z][A-Za-z]*Error|Error|Unknown): /, '');
}

const UNREACHABLE = /credential|Region is missing|ENOTFOUND|ECONNREFUSED/i;

function checkIds(ids: readonly string[], known: readonly string[], what: string): void {
  for (const id of ids) if (!known.includes(id)) throw usageError(`'${id}' is not a check id${what}`, `known: ${known.join(', ')}`);
}

/** The trail checks. A check that cannot look something up is a finding; AWS not answering at all is an error. */
export async function verifyTrail(input: VerifyTrailInput, options: JobOptions = {}): Promise<VerifyReport> {
  const job = jobContext(options);
  if (input.trail === '') throw usageError('verify: needs a trail name or ARN', 'e.g. trailkit verify --trail main');
  const only = input.only ?? [];
  const skip = input.skip ?? [];
  checkIds([...only, ...skip], CHECK_IDS, '');
  const startedAt = new Date();
  const { gatherTrailEvidence } = await import('../aws/trail-evidence.js');
  const evidence = await withAwsClients(job, 'cloudtrail:GetTrail', (clients) =>
    gatherTrailEvidence(clients, {
      trail: input.trail,
      integrityHours: input.integrityHours ?? 24,
      now: job.now().getTime(),
      integrity: (info, since, until) => integrityOf(clients, info, since, until, input.publicKeyFiles ?? [], job),
    }),
  );
  throwIfAborted(job.signal);
  if (!evidence.trail.ok && evidence.trail.denied === undefined && UNREACHABLE.test(evidence.trail.error)) {
    // Not a finding about the trail: verify itself could not run.
    throw usageError(`verify: could not reach AWS: ${withoutClassName(evidence.trail.error)}`, 'check credentials (--profile, AWS_PROFILE), --region and --endpoint-url');
  }
  const checks = selectChecks(evaluateChecks(evidence), only, skip);
  const summary = summarize(checks, input.strict === true);
  const subject = evidence.trail.ok && evidence.trail.value !== undefined ? evidence.trail.value.arn : input.trail;
  return { subject, checks, summary, startedAt, seconds: (Date.now() - startedAt.getTime()) / 1000 };
}

/** The account-wide checks: a trail in every region, organization coverage. */
export async function verifyAccount(input: VerifyAccountInput = {}, options: JobOptions = {}): Promise<VerifyReport> {
  const job = jobContext(options);
  const only = input.only ?? [];
  const skip = input.skip ?? [];
  checkIds([...only, ...skip], ACCOUNT_CHECK_IDS, ' of --account');
  const startedAt = new Date();
  const { gatherAccountEvidence } = await import('../aws/account-evidence.js');
  const evidence = await withAwsClients(job, 'cloudtrail:DescribeTrails', (clients) => gatherAccountEvidence(clients));
  throwIfAborted(job.signal);
  const failures = Object.values(evidence.regions).filter((p) => !p.ok && p.denied === undefined);
  if (failures.length > 0 && failures.length === Object.keys(evidence.regions).length) {
    const first = failures[0] as { error: string };
    if (UNREACHABLE.test(first.error)) throw usageError(`verify: could not reach AWS: ${withoutClassName(first.error)}`, 'check credentials (--profile, AWS_PROFILE) and --endpoint-url');
  }
  const checks = selectChecks(evaluateAccountChecks(evidence), only, skip);
  const summary = summarize(checks, input.strict === true);
  return { subject: `account ${evidence.accountId ?? '(unknown)'}`, accountId: evidence.accountId ?? null, checks, summary, startedAt, seconds: (Date.now() - startedAt.getTime()) / 1000 };
}

/** validateDigests over the window, in every region and account folder of the trail's bucket. */
async function integrityOf(clients: AwsClients, trail: TrailInfo, since: number, until: number, publicKeyFiles: readonly { region?: string; path: string }[], job: JobContext): Promise<IntegrityInfo | undefined> {
  const arn = parseTrailArn(trail.arn);
  if (arn === undefined || trail.s3BucketName === undefined) return undefined;
  const notes: string[] = [];
  const reports = await collectDigestReports(
    {
      source: { kind: 's3', bucket: trail.s3BucketName },
      trailArn: trail.arn,
      trail: arn,
      startMs: since,
      endMs: until,
      prefix: (trail.s3KeyPrefix ?? '').replace(/^\/+|\/+$/g, ''),
      accounts: [arn.account],
      regions: undefined,
      publicKeyFiles: publicKeyFiles.map((f) => ({ region: f.region, path: f.path })),
      allowUnverifiable: false,
      strict: false,
      concurrency: 16,
    },
    clients,
    { warn: (m) => notes.push(m), now: () => job.now(), signal: job.signal },
  );
  const tally = sumTallies(reports.map((r) => r.tally));
  // Neither digests nor log files in the window: nothing to vouch for (a warning). Log files
  // without digests are unreferenced, and fail the check.
  const seen = Object.entries(tally).reduce((n: number, [k, v]) => (k === 'outsideRange' ? n : n + v), 0);
  if (seen === 0) return undefined;
  const problems = renderDigestText({ trailArn: trail.arn, startMs: since, endMs: until }, reports, false)
    .flatMap((piece) => piece.text.split('\n'))
    .filter((line) => line.includes('INVALID'))
    .slice(0, 3);
  return {
    digestsValid: tally.validDigests + tally.validBackfillDigests,
    digestsInvalid: tally.invalidDigests + tally.invalidBackfillDigests + tally.unverifiableDigests + tally.unverifiableBackfillDigests,
    logsValid: tally.validLogs,
    logsInvalid: tally.invalidLogs + tally.unverifiableLogs + tally.listedByInvalidLogs + tally.misplacedFiles + tally.otherTrailInvalid,
    unreferenced: tally.unreferencedLogs,
    problems,
  };
}

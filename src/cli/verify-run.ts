import Table from 'cli-table3';
import type { AwsClients } from '../aws/clients.js';
import { gatherAccountEvidence } from '../aws/account-evidence.js';
import { gatherTrailEvidence } from '../aws/trail-evidence.js';
import { ACCOUNT_CHECK_IDS, evaluateAccountChecks } from '../core/account-coverage.js';
import { sumTallies } from '../core/digest-validation.js';
import { parseTrailArn } from '../core/s3-layout.js';
import { parsePublicKeysArgument } from '../core/digest-public-keys.js';
import { renderDigestText } from '../output/digest-report.js';
import { collectDigestReports } from './validate-digest-run.js';
import { EXIT_NEGATIVE, EXIT_OK, usageError } from '../core/errors.js';
import { CHECK_IDS, evaluateChecks, selectChecks, summarize, type CheckResult, type CheckStatus, type CheckSummary, type IntegrityInfo, type TrailInfo } from '../core/verify-checks.js';
import { renderJUnit } from '../output/junit.js';
import { safeText } from '../output/terminal-safe.js';
import { withAws } from './aws-command.js';
import { terminalWidth } from './terminal.js';
import type { CliContext } from './context.js';
import type { VerifyFlags } from './verify.js';

type VerifyFormat = 'text' | 'json' | 'junit';

function formatOf(output: string | undefined): VerifyFormat {
  return output === 'json' || output === 'junit' ? output : 'text';
}

/** A probe's error without the SDK's JavaScript class name in front (`CredentialsProviderError: ...`). */
function withoutClassName(error: string): string {
  return error.replace(/^(?:[A-Z][A-Za-z]*Error|Error|Unknown): /, '');
}

export async function runVerify(ctx: CliContext, flags: VerifyFlags): Promise<number> {
  if (flags.account === true) return runAccountVerify(ctx, flags);
  const trail = flags.trail ?? flags.trailArn ?? flags.trailName;
  if (trail === undefined || trail === '') throw usageError('verify: needs --trail, --trail-name, --trail-arn or --account', 'e.g. trailkit verify --trail main');
  for (const id of [...flags.only, ...flags.skip]) {
    if (!(CHECK_IDS as readonly string[]).includes(id)) throw usageError(`'${id}' is not a check id`, `known: ${CHECK_IDS.join(', ')}`);
  }
  const format = formatOf(ctx.globals.output);
  const started = Date.now();
  const evidence = await withAws(ctx, 'cloudtrail:GetTrail', (clients) =>
    gatherTrailEvidence(clients, {
      trail,
      integrityHours: flags.integrityHours,
      now: ctx.now().getTime(),
      integrity: (info, since, until) => integrityOf(clients, info, since, until, flags.publicKeys ?? []),
    }),
  );
  if (!evidence.trail.ok && evidence.trail.denied === undefined && /credential|Region is missing|ENOTFOUND|ECONNREFUSED/i.test(evidence.trail.error)) {
    // Not a finding about the trail: verify itself could not run.
    throw usageError(`verify: could not reach AWS: ${withoutClassName(evidence.trail.error)}`, 'check credentials (--profile, AWS_PROFILE), --region and --endpoint-url');
  }
  const results = selectChecks(evaluateChecks(evidence), flags.only, flags.skip);
  const summary = summarize(results, flags.strict === true);
  const arn = evidence.trail.ok && evidence.trail.value !== undefined ? evidence.trail.value.arn : trail;
  if (format === 'json') {
    await ctx.write(`${JSON.stringify({ trail: arn, checks: results, summary }, null, 2)}\n`);
  } else if (format === 'junit') {
    await ctx.write(renderJUnit({ trail: arn, results, summary, strict: flags.strict === true, timestamp: new Date(started), seconds: (Date.now() - started) / 1000 }));
  } else {
    await ctx.write(renderText(ctx, arn, results, summary));
  }
  return summary.failed ? EXIT_NEGATIVE : EXIT_OK;
}

/** `verify --account`: the account-wide view, rendered like the trail checks. */
async function runAccountVerify(ctx: CliContext, flags: VerifyFlags): Promise<number> {
  for (const id of [...flags.only, ...flags.skip]) {
    if (!(ACCOUNT_CHECK_IDS as readonly string[]).includes(id)) throw usageError(`'${id}' is not a check id of --account`, `known: ${ACCOUNT_CHECK_IDS.join(', ')}`);
  }
  const format = formatOf(ctx.globals.output);
  const started = Date.now();
  const evidence = await withAws(ctx, 'cloudtrail:DescribeTrails', (clients) => gatherAccountEvidence(clients));
  const failures = Object.values(evidence.regions).filter((p) => !p.ok && p.denied === undefined);
  if (failures.length > 0 && failures.length === Object.keys(evidence.regions).length) {
    const first = failures[0] as { error: string };
    if (/credential|Region is missing|ENOTFOUND|ECONNREFUSED/i.test(first.error)) throw usageError(`verify: could not reach AWS: ${withoutClassName(first.error)}`, 'check credentials (--profile, AWS_PROFILE) and --endpoint-url');
  }
  const results = selectChecks(evaluateAccountChecks(evidence), flags.only, flags.skip);
  const summary = summarize(results, flags.strict === true);
  const subject = `account ${evidence.accountId ?? '(unknown)'}`;
  if (format === 'json') await ctx.write(`${JSON.stringify({ account: evidence.accountId ?? null, checks: results, summary }, null, 2)}\n`);
  else if (format === 'junit') await ctx.write(renderJUnit({ trail: subject, results, summary, strict: flags.strict === true, timestamp: new Date(started), seconds: (Date.now() - started) / 1000 }));
  else await ctx.write(renderText(ctx, subject, results, summary));
  return summary.failed ? EXIT_NEGATIVE : EXIT_OK;
}

/** validate-digest over the window, in every region and account folder of the trail's bucket. */
async function integrityOf(clients: AwsClients, trail: TrailInfo, since: number, until: number, publicKeys: readonly string[]): Promise<IntegrityInfo | undefined> {
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
      publicKeyFiles: publicKeys.map(parsePublicKeysArgument),
      allowUnverifiable: false,
      strict: false,
      concurrency: 16,
      verbose: false,
      json: false,
    },
    clients,
    (m) => notes.push(m),
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

/** Words of `text` in lines of at most `width` characters, the lines after the first indented by `indent` (a word longer than a line is cut). */
function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const room = width - (lines.length === 0 ? 0 : indent.length);
    if (line !== '' && line.length + 1 + word.length > room) {
      lines.push(line);
      line = '';
    }
    line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines.flatMap((l, i) => {
    const room = width - (i === 0 ? 0 : indent.length);
    const parts: string[] = [];
    for (let rest = l; rest.length > 0; rest = rest.slice(room)) parts.push(rest.slice(0, room));
    return parts;
  }).map((l, i) => (i === 0 ? l : `${indent}${l}`));
}

/** The table is 80 columns wide unless the terminal (or COLUMNS) says otherwise; the fixes below it wrap to the same width. */
function renderText(ctx: CliContext, trail: string, results: readonly CheckResult[], summary: CheckSummary): string {
  const c = ctx.chalk;
  const width = Math.max(60, Math.min(terminalWidth(ctx) ?? 80, 200));
  const paint: Record<CheckStatus, (s: string) => string> = { pass: c.green, warn: c.yellow, fail: c.red.bold, skip: c.dim };
  // Borders (4) + STATUS (6 + padding) + CHECK (the longest id, 24, + padding) + MESSAGE (the rest).
  const statusWidth = 8;
  const checkWidth = 26;
  const messageWidth = width - 4 - statusWidth - checkWidth;
  const table = new Table({ head: ['STATUS', 'CHECK', 'MESSAGE'].map((h) => c.bold(h)), style: { head: [], border: [], compact: true }, colWidths: [statusWidth, checkWidth, messageWidth] });
  // Wrapped here (long ARNs are broken, not cut off), so every cell fits its column.
  for (const r of results) table.push([paint[r.status](r.status.toUpperCase()), r.id, wrap(safeText(r.message), messageWidth - 2, '').join('\n')]);
  const fixes = results.filter((r) => r.remediation !== undefined && (r.status === 'fail' || r.status === 'warn')).flatMap((r) => {
    const [first = '', ...rest] = wrap(`${r.id}: ${safeText(r.remediation as string)}`, width - 2, '    ');
    return [`  ${paint[r.status](r.id)}${first.slice(r.id.length)}`, ...rest.map((l) => `  ${l}`)];
  });
  const verdict = summary.failed ? c.red.bold('FAILED') : c.green.bold('OK');
  return [
    `trailkit verify ${safeText(trail)}`,
    table.toString(),
    ...(fixes.length === 0 ? [] : ['To fix:', ...fixes]),
    `${verdict}: ${summary.pass} pass, ${summary.warn} warn, ${summary.fail} fail, ${summary.skip} skip`,
    '',
  ].join('\n');
}

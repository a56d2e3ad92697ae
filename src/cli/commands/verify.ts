/** `trailkit verify`: flags -> verifyTrail / verifyAccount (src/jobs/verify.ts) -> text, JSON or JUnit. */
import { Command, Option } from 'commander';
import type { CliContext } from '../context.js';
import { VERIFY_OUTPUTS } from '../output-formats.js';
import { runCommand } from '../run-command.js';
import { wholeNumber } from '../number-options.js';

export interface VerifyFlags {
  trail?: string;
  trailName?: string;
  trailArn?: string;
  account?: boolean;
  only: string[];
  skip: string[];
  strict?: boolean;
  integrityHours: number;
  publicKeys?: string[];
}

const EXAMPLES = `
Examples:
  $ trailkit verify --trail main
  $ trailkit verify --trail-arn arn:aws:cloudtrail:us-east-1:123456789012:trail/main --output junit > verify.xml
  $ trailkit verify --trail-name main --skip s3-data-events,bucket-access-logging --strict
  $ trailkit verify --trail-name main --only integrity --integrity-hours 6 --output json
  $ trailkit verify --account

Checks (stable ids): trail-exists, logging, multi-region, global-service-events, log-file-validation,
kms-encryption, cloudwatch-logs, cloudwatch-logs-delivery, log-group-encryption, log-group-retention,
management-events, s3-data-events, insights, bucket-policy, bucket-public-access,
bucket-access-logging, bucket-versioning, bucket-delete-protection, delivery-health, integrity,
cis-metric-filters. The README's verify section says what each needs to pass.
--account (no trail): account-regions-covered, every enabled region covered by a logging
multi-region trail that records read and write management events, with the trails listed.
Each is pass, warn, fail or skip (a check that lacks permission to look says which IAM action it
needed), with the evidence it saw and the command that fixes it.
Exit status: 0 when nothing fails, 1 when a check fails (--strict: or warns), 2 when verify itself
could not run (no credentials, say). A trail that does not exist fails trail-exists.`;

const list = (value: string, previous: string[]) => previous.concat(value.split(',').map((v) => v.trim()).filter((v) => v !== ''));

export function makeVerifyCommand(): Command {
  return new Command('verify')
    .description("check a trail's configuration, delivery health and integrity: one CI gate")
    .addOption(new Option('--trail <name|arn>', 'the trail to check (name or ARN)'))
    .addOption(new Option('--trail-name <name>', 'the same as --trail').conflicts('trail'))
    .addOption(new Option('--trail-arn <arn>', 'the same as --trail, by ARN').conflicts(['trailName', 'trail']))
    .addOption(new Option('--account', 'check the account instead of one trail: every enabled region covered by a logging multi-region trail').conflicts(['trailName', 'trailArn', 'trail']))
    .addOption(new Option('--only <ids>', 'run only these checks (comma-separated ids)').argParser(list).default([]))
    .addOption(new Option('--skip <ids>', 'leave out these checks (comma-separated ids)').argParser(list).default([]))
    .addOption(new Option('--strict', 'a warning fails the run too'))
    .addOption(new Option('--integrity-hours <n>', 'how many hours of digests the integrity check validates').argParser(wholeNumber(1, 24 * 90)).default(24))
    .addOption(new Option('--public-keys <[region=]file>', 'for the integrity check: JSON printed by aws cloudtrail list-public-keys --region REGION, instead of calling ListPublicKeys in each region (repeatable)').argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]))
    .addHelpText('after', EXAMPLES)
    .action(async (flags: VerifyFlags, cmd: Command) => {
      await runCommand(cmd, (ctx) => runVerify(ctx, flags), { outputs: VERIFY_OUTPUTS });
    });
}

async function runVerify(ctx: CliContext, flags: VerifyFlags): Promise<number> {
  const [{ EXIT_NEGATIVE, EXIT_OK, usageError }, { parsePublicKeysArgument }, { verifyAccount, verifyTrail }, { renderJUnit }, { renderVerifyText }, { terminalWidth }, { jobOptionsOf }] = await Promise.all([
    import('../../core/errors.js'),
    import('../../core/digest-public-keys.js'),
    import('../../jobs/verify.js'),
    import('../../output/junit.js'),
    import('../../output/verify-text.js'),
    import('../terminal.js'),
    import('../job-options.js'),
  ]);
  const strict = flags.strict === true;
  let report;
  if (flags.account === true) {
    report = await verifyAccount({ only: flags.only, skip: flags.skip, strict }, jobOptionsOf(ctx));
  } else {
    const trail = flags.trail ?? flags.trailArn ?? flags.trailName;
    if (trail === undefined || trail === '') throw usageError('verify: needs --trail, --trail-name, --trail-arn or --account', 'e.g. trailkit verify --trail main');
    const publicKeyFiles = (flags.publicKeys ?? []).map(parsePublicKeysArgument).map((f) => ({ path: f.path, ...(f.region === undefined ? {} : { region: f.region }) }));
    report = await verifyTrail({ trail, only: flags.only, skip: flags.skip, strict, integrityHours: flags.integrityHours, publicKeyFiles }, jobOptionsOf(ctx));
  }
  const { checks: results, summary } = report;
  const output = ctx.globals.output;
  if (output === 'json') {
    const head = flags.account === true ? { account: report.accountId ?? null } : { trail: report.subject };
    await ctx.write(`${JSON.stringify({ ...head, checks: results, summary }, null, 2)}\n`);
  } else if (output === 'junit') {
    await ctx.write(renderJUnit({ trail: report.subject, results, summary, strict, timestamp: report.startedAt, seconds: report.seconds }));
  } else {
    await ctx.write(renderVerifyText(ctx.chalk, terminalWidth(ctx), report.subject, results, summary));
  }
  return summary.failed ? EXIT_NEGATIVE : EXIT_OK;
}

import { Command, Option } from 'commander';
import type { CliContext } from '../context.js';
import { TEXT_OR_JSON } from '../output-formats.js';
import { runCommand } from '../run-command.js';

export interface UpdateTrailFlags {
  name: string;
  s3BucketName?: string;
  s3KeyPrefix?: string;
  snsTopicName?: string;
  includeGlobalServiceEvents?: boolean;
  isMultiRegionTrail?: boolean;
  enableLogFileValidation?: boolean;
  cloudWatchLogsLogGroupArn?: string;
  cloudWatchLogsRoleArn?: string;
  kmsKeyId?: string;
  isOrganizationTrail?: boolean;
  iamRetrySeconds: string;
}

const EXAMPLES = `
Examples:
  $ trailkit update-trail --name main \\
      --cloud-watch-logs-log-group-arn arn:aws:logs:us-east-1:111122223333:log-group:aws-cloudtrail-logs-main:* \\
      --cloud-watch-logs-role-arn arn:aws:iam::111122223333:role/CloudTrail_CloudWatchLogs_Role
  $ trailkit update-trail --name main --enable-log-file-validation --is-multi-region-trail
  $ trailkit update-trail --name main --no-include-global-service-events --no-is-multi-region-trail

Only the settings given change. A role IAM has just created may not be usable by CloudTrail for a
while: InvalidCloudWatchLogsRoleArn errors are retried with backoff for --iam-retry-seconds (default 90).
Run it in the trail's home region. Exit status: 0, or 2 on invalid input or an AWS error.`;

export function makeUpdateTrailCommand(): Command {
  return new Command('update-trail')
    .description('change a trail\'s settings (aws cloudtrail update-trail)')
    .addOption(new Option('--name <name>', 'the trail (name or ARN)').makeOptionMandatory())
    .addOption(new Option('--s3-bucket-name <name>', 'bucket the logs go to'))
    .addOption(new Option('--s3-key-prefix <prefix>', 'key prefix in the bucket'))
    .addOption(new Option('--sns-topic-name <name>', 'SNS topic notified of each delivery'))
    .addOption(new Option('--include-global-service-events', 'record IAM, STS and other global services'))
    .addOption(new Option('--no-include-global-service-events'))
    .addOption(new Option('--is-multi-region-trail', 'record every region'))
    .addOption(new Option('--no-is-multi-region-trail'))
    .addOption(new Option('--enable-log-file-validation', 'deliver signed digest files'))
    .addOption(new Option('--no-enable-log-file-validation'))
    .addOption(new Option('--cloud-watch-logs-log-group-arn <arn>', 'log group to send events to'))
    .addOption(new Option('--cloud-watch-logs-role-arn <arn>', 'role CloudTrail assumes to write to it'))
    .addOption(new Option('--kms-key-id <key>', 'KMS key (ARN, alias or id) to encrypt logs with'))
    .addOption(new Option('--is-organization-trail', 'record every account of the organization'))
    .addOption(new Option('--no-is-organization-trail'))
    .addOption(new Option('--iam-retry-seconds <seconds>', 'how long to retry while a new role propagates').default('90'))
    .addHelpText('after', EXAMPLES)
    .action(async (flags: UpdateTrailFlags, cmd: Command) => {
      await runCommand(cmd, (ctx) => runUpdateTrail(ctx, flags, cmd), { outputs: TEXT_OR_JSON });
    });
}

async function runUpdateTrail(ctx: CliContext, flags: UpdateTrailFlags, cmd: Command): Promise<number> {
  const [{ updateTrail }, { givenOptions }, { safeText }, { jobOptionsOf }] = await Promise.all([import('../../jobs/trail-workflow.js'), import('../json-argument.js'), import('../../output/terminal-safe.js'), import('../job-options.js')]);
  const given = givenOptions(cmd) as Partial<UpdateTrailFlags>;
  const settings = {
    S3BucketName: given.s3BucketName, S3KeyPrefix: given.s3KeyPrefix, SnsTopicName: given.snsTopicName, IncludeGlobalServiceEvents: given.includeGlobalServiceEvents,
    IsMultiRegionTrail: given.isMultiRegionTrail, EnableLogFileValidation: given.enableLogFileValidation, IsOrganizationTrail: given.isOrganizationTrail, KmsKeyId: given.kmsKeyId,
    CloudWatchLogsLogGroupArn: given.cloudWatchLogsLogGroupArn, CloudWatchLogsRoleArn: given.cloudWatchLogsRoleArn,
  };
  const input = { Name: flags.name, ...Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) };
  const r = await updateTrail(input, { ...jobOptionsOf(ctx), iamRetrySeconds: Number(flags.iamRetrySeconds) });
  if (ctx.globals.output === 'json') await ctx.write(`${JSON.stringify({ action: r.action, trail: r.trail, changes: r.changes })}\n`);
  else if (r.action === 'unchanged') await ctx.write(`unchanged\t${r.trail.arn}\n`);
  else await ctx.write(`updated\t${r.trail.arn}\t${safeText(r.summary)}\n`);
  return 0;
}

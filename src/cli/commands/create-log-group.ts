import { Command, Option } from 'commander';
import type { CliContext } from '../context.js';
import { TEXT_OR_JSON } from '../output-formats.js';
import { runCommand } from '../run-command.js';

export interface CreateLogGroupFlags {
  logGroupName: string;
  retentionInDays?: string;
  kmsKeyId?: string;
  tags?: string[];
}

const EXAMPLES = `
Examples:
  $ trailkit create-log-group --log-group-name aws-cloudtrail-logs-main --retention-in-days 365
  $ trailkit create-log-group --log-group-name ct --tags team=security,env=prod --output json

Creates the group when it is absent; an existing group is reported as unchanged (its retention is
set when --retention-in-days differs). Prints the log group ARN (for update-trail
--cloud-watch-logs-log-group-arn). Exit status: 0, or 2 on an invalid name or an AWS error.`;

export function makeCreateLogGroupCommand(): Command {
  return new Command('create-log-group')
    .description('create a CloudWatch Logs group for a trail (aws logs create-log-group), print its ARN')
    .addOption(new Option('--log-group-name <name>', 'the log group').makeOptionMandatory())
    .addOption(new Option('--retention-in-days <days>', 'days to keep events (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)'))
    .addOption(new Option('--kms-key-id <arn>', 'KMS key ARN to encrypt the group with'))
    .addOption(new Option('--tags <k=v,...>', 'tags, comma-separated; repeatable').argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]))
    .addHelpText('after', EXAMPLES)
    .action(async (flags: CreateLogGroupFlags, cmd: Command) => {
      await runCommand(cmd, (ctx) => runCreateLogGroup(ctx, flags), { outputs: TEXT_OR_JSON });
    });
}

async function runCreateLogGroup(ctx: CliContext, flags: CreateLogGroupFlags): Promise<number> {
  const [{ createLogGroup }, { reportChange }, { jobOptionsOf }] = await Promise.all([import('../../jobs/trail-workflow.js'), import('../change-report.js'), import('../job-options.js')]);
  const r = await createLogGroup({
    logGroupName: flags.logGroupName,
    ...(flags.retentionInDays === undefined ? {} : { retentionInDays: flags.retentionInDays }),
    ...(flags.kmsKeyId === undefined ? {} : { kmsKeyId: flags.kmsKeyId }),
    ...(flags.tags === undefined ? {} : { tags: flags.tags }),
  }, jobOptionsOf(ctx));
  await reportChange(ctx, r.action, r.logGroupArn, { logGroupName: r.logGroupName, logGroupArn: r.logGroupArn, ...(r.retentionInDays === undefined ? {} : { retentionInDays: r.retentionInDays }) });
  return 0;
}

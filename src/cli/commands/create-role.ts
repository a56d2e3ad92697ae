import { Command, Option } from 'commander';
import type { CliContext } from '../context.js';
import { TEXT_OR_JSON } from '../output-formats.js';
import { runCommand } from '../run-command.js';

export interface CreateRoleFlags {
  roleName: string;
  trailArn?: string;
  tags?: string[];
}

const EXAMPLES = `
Examples:
  $ trailkit create-role
  $ trailkit create-role --role-name CloudTrail_CloudWatchLogs_Role --trail-arn arn:aws:cloudtrail:us-east-1:111122223333:trail/main

Creates an IAM role that cloudtrail.amazonaws.com can assume (sts:AssumeRole), limited to the trail
with an aws:SourceArn condition when --trail-arn is given. An existing role is kept; CloudTrail is
added to its trust policy when missing (other statements are kept). Prints the role ARN.
Exit status: 0, or 2 on an invalid name or an AWS error.`;

export function makeCreateRoleCommand(): Command {
  return new Command('create-role')
    .description('create the IAM role CloudTrail assumes to write to CloudWatch Logs, print its ARN')
    .addOption(new Option('--role-name <name>', 'the role').default('CloudTrail_CloudWatchLogs_Role'))
    .addOption(new Option('--trail-arn <arn>', 'only this trail may assume the role (aws:SourceArn)'))
    .addOption(new Option('--tags <k=v,...>', 'tags, comma-separated; repeatable').argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]))
    .addHelpText('after', EXAMPLES)
    .action(async (flags: CreateRoleFlags, cmd: Command) => {
      await runCommand(cmd, (ctx) => runCreateRole(ctx, flags), { outputs: TEXT_OR_JSON });
    });
}

async function runCreateRole(ctx: CliContext, flags: CreateRoleFlags): Promise<number> {
  const [{ createRole }, { reportChange }, { jobOptionsOf }] = await Promise.all([import('../../jobs/trail-workflow.js'), import('../change-report.js'), import('../job-options.js')]);
  const r = await createRole({ roleName: flags.roleName, ...(flags.trailArn === undefined ? {} : { trailArn: flags.trailArn }), ...(flags.tags === undefined ? {} : { tags: flags.tags }) }, jobOptionsOf(ctx));
  await reportChange(ctx, r.action, r.roleArn, { roleName: r.roleName, roleArn: r.roleArn });
  return 0;
}

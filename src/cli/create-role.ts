import { Command, Option } from 'commander';
import { TEXT_OR_JSON } from './output-formats.js';
import { runCommand } from './run-command.js';

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
      await runCommand(cmd, async (ctx) => (await import('./trail-commands-run.js')).runCreateRole(ctx, flags), { outputs: TEXT_OR_JSON });
    });
}

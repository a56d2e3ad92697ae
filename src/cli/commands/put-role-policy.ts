import { Command, Option } from 'commander';
import type { CliContext } from '../context.js';
import { TEXT_OR_JSON } from '../output-formats.js';
import { runCommand } from '../run-command.js';

export interface PutRolePolicyFlags {
  roleName: string;
  logGroupName: string;
  policyName: string;
  organizationId?: string;
}

const EXAMPLES = `
Examples:
  $ trailkit put-role-policy --role-name CloudTrail_CloudWatchLogs_Role --log-group-name aws-cloudtrail-logs-main
  $ trailkit put-role-policy --role-name ct-role --log-group-name org-trail --organization-id o-exampleorgid

Writes the inline policy that lets CloudTrail create log streams and put events in the group, scoped
to the ACCOUNT_CloudTrail_REGION* streams (and o-orgid_* for an organization trail). Statements of an
existing policy with that name that trailkit did not write are kept. Prints create/update/unchanged.
Exit status: 0, or 2 on an invalid name or an AWS error.`;

export function makePutRolePolicyCommand(): Command {
  return new Command('put-role-policy')
    .description('give the CloudWatch Logs role its CloudTrail permissions (CreateLogStream, PutLogEvents)')
    .addOption(new Option('--role-name <name>', 'the role').default('CloudTrail_CloudWatchLogs_Role'))
    .addOption(new Option('--log-group-name <name>', 'the trail\'s log group').makeOptionMandatory())
    .addOption(new Option('--policy-name <name>', 'the inline policy').default('cloudtrail-policy'))
    .addOption(new Option('--organization-id <id>', 'organization trail: also the o-orgid_* streams'))
    .addHelpText('after', EXAMPLES)
    .action(async (flags: PutRolePolicyFlags, cmd: Command) => {
      await runCommand(cmd, (ctx) => runPutRolePolicy(ctx, flags), { outputs: TEXT_OR_JSON });
    });
}

async function runPutRolePolicy(ctx: CliContext, flags: PutRolePolicyFlags): Promise<number> {
  const [{ putRolePolicy }, { reportChange }, { jobOptionsOf }] = await Promise.all([import('../../jobs/trail-workflow.js'), import('../change-report.js'), import('../job-options.js')]);
  const r = await putRolePolicy({ roleName: flags.roleName, logGroupName: flags.logGroupName, policyName: flags.policyName, ...(flags.organizationId === undefined ? {} : { organizationId: flags.organizationId }) }, jobOptionsOf(ctx));
  await reportChange(ctx, r.action, `${r.roleName}/${r.policyName}`, { roleName: r.roleName, policyName: r.policyName, policy: r.policy });
  return 0;
}

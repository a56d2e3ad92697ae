import { Command, Option } from 'commander';
import type { CliContext } from '../context.js';
import { TEXT_OR_JSON } from '../output-formats.js';
import { runCommand } from '../run-command.js';
import { addSelectorOptions } from '../selector-options.js';

export interface PutEventSelectorsFlags {
  trailName: string;
  eventSelectors?: string;
  advancedEventSelectors?: string;
  managementEvents?: string;
  excludeKmsEvents?: boolean;
  excludeRdsDataApiEvents?: boolean;
  s3DataEvents?: string[];
  lambdaDataEvents?: string[];
  dynamodbDataEvents?: string[];
}

const EXAMPLES = `
Examples:
  $ trailkit put-event-selectors --trail-name main --management-events all --exclude-kms-events
  $ trailkit put-event-selectors --trail-name main --s3-data-events my-bucket/uploads/ other-bucket
  $ trailkit put-event-selectors --trail-name main --advanced-event-selectors file://selectors.json
  $ trailkit put-event-selectors --trail-name main --event-selectors '[{"ReadWriteType":"All","IncludeManagementEvents":true}]'

Every rule of the CloudTrail selector limits is checked before the call (at most 5 basic selectors
and 250 data resources; advanced: eventCategory required, allowed fields and operators per category,
exact ARNs for Equals, at most 500 values), with an error naming the selector, field and rule.
The convenience flags write advanced selectors; management events default to all when only data
flags are given. Writing selectors replaces the trail's current ones (basic and advanced alike).
Exit status: 0, or 2 on invalid selectors or an AWS error.`;

export function makePutEventSelectorsCommand(): Command {
  const command = new Command('put-event-selectors')
    .description('set which management and data events a trail records, validated before the call')
    .addOption(new Option('--trail-name <name>', 'the trail (name or ARN)').makeOptionMandatory());
  return addSelectorOptions(command)
    .addHelpText('after', EXAMPLES)
    .action(async (flags: PutEventSelectorsFlags, cmd: Command) => {
      await runCommand(cmd, (ctx) => runPutEventSelectors(ctx, flags), { outputs: TEXT_OR_JSON });
    });
}

async function runPutEventSelectors(ctx: CliContext, flags: PutEventSelectorsFlags): Promise<number> {
  const [{ putEventSelectors }, { readJsonArgument }, { jobOptionsOf }] = await Promise.all([import('../../jobs/trail-workflow.js'), import('../json-argument.js'), import('../job-options.js')]);
  const selectors = {
    ...(flags.eventSelectors === undefined ? {} : { eventSelectors: readJsonArgument(flags.eventSelectors, '--event-selectors') }),
    ...(flags.advancedEventSelectors === undefined ? {} : { advancedEventSelectors: readJsonArgument(flags.advancedEventSelectors, '--advanced-event-selectors') }),
    ...(flags.managementEvents === undefined ? {} : { managementEvents: flags.managementEvents }),
    ...(flags.excludeKmsEvents === undefined ? {} : { excludeKmsEvents: flags.excludeKmsEvents }),
    ...(flags.excludeRdsDataApiEvents === undefined ? {} : { excludeRdsDataApiEvents: flags.excludeRdsDataApiEvents }),
    ...(flags.s3DataEvents === undefined ? {} : { s3DataEvents: flags.s3DataEvents }),
    ...(flags.lambdaDataEvents === undefined ? {} : { lambdaDataEvents: flags.lambdaDataEvents }),
    ...(flags.dynamodbDataEvents === undefined ? {} : { dynamodbDataEvents: flags.dynamodbDataEvents }),
  };
  const r = await putEventSelectors({ trailName: flags.trailName, selectors }, jobOptionsOf(ctx));
  const { advanced, basic } = r.selectors;
  const count = advanced?.length ?? basic?.length ?? 0;
  if (ctx.globals.output === 'json') await ctx.write(`${JSON.stringify({ action: r.action, trailArn: r.trailArn, ...(advanced !== undefined ? { advancedEventSelectors: advanced } : { eventSelectors: basic }) })}\n`);
  else await ctx.write(`updated\t${r.trailArn}\t${count} ${advanced !== undefined ? 'advanced' : 'basic'} selector(s)\n`);
  return 0;
}

import { Command, Option } from 'commander';
import { TEXT_OR_JSON } from './output-formats.js';
import { runCommand } from './run-command.js';
import { addSelectorOptions } from './selector-options.js';

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
      await runCommand(cmd, async (ctx) => (await import('./trail-commands-run.js')).runPutEventSelectors(ctx, flags), { outputs: TEXT_OR_JSON });
    });
}

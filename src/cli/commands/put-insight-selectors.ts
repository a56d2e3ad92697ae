import { Command, Option } from 'commander';
import type { CliContext } from '../context.js';
import { TEXT_OR_JSON } from '../output-formats.js';
import { runCommand } from '../run-command.js';

export interface PutInsightSelectorsFlags {
  trailName: string;
  insights: string;
}

const EXAMPLES = `
Examples:
  $ trailkit put-insight-selectors --trail-name main --insights api-call-rate,api-error-rate
  $ trailkit put-insight-selectors --trail-name main --insights none

Insights needs the trail to record write management events; that is checked first.
Exit status: 0, or 2 on invalid input or an AWS error.`;

export function makePutInsightSelectorsCommand(): Command {
  return new Command('put-insight-selectors')
    .description('turn CloudTrail Insights on or off for a trail')
    .addOption(new Option('--trail-name <name>', 'the trail (name or ARN)').makeOptionMandatory())
    .addOption(new Option('--insights <types>', 'api-call-rate, api-error-rate (comma-separated) or none').makeOptionMandatory())
    .addHelpText('after', EXAMPLES)
    .action(async (flags: PutInsightSelectorsFlags, cmd: Command) => {
      await runCommand(cmd, (ctx) => runPutInsightSelectors(ctx, flags), { outputs: TEXT_OR_JSON });
    });
}

async function runPutInsightSelectors(ctx: CliContext, flags: PutInsightSelectorsFlags): Promise<number> {
  const [{ putInsightSelectors }, { reportChange }, { jobOptionsOf }] = await Promise.all([import('../../jobs/trail-workflow.js'), import('../change-report.js'), import('../job-options.js')]);
  const r = await putInsightSelectors({ trailName: flags.trailName, insights: flags.insights }, jobOptionsOf(ctx));
  await reportChange(ctx, r.action, `${r.trailArn}\t${r.insightTypes.length === 0 ? 'none' : r.insightTypes.join(', ')}`, { trailArn: r.trailArn, insightTypes: r.insightTypes });
  return 0;
}

import type { ChangeAction } from '../core/policies.js';
import type { CliContext } from './context.js';

const VERB: Record<ChangeAction, string> = { create: 'created', update: 'updated', unchanged: 'unchanged' };

/** What a mirrored AWS CLI subcommand did: `created\tARN` (tab-separated), or one JSON object. */
export async function reportChange(ctx: CliContext, action: ChangeAction, what: string, json: Record<string, unknown>): Promise<void> {
  if (ctx.globals.output === 'json') await ctx.write(`${JSON.stringify({ action, ...json })}\n`);
  else await ctx.write(`${VERB[action]}\t${what}\n`);
}

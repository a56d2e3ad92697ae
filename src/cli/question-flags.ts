import { usageError } from '../core/errors.js';
import { safeText } from '../output/terminal-safe.js';
import type { CliContext } from './context.js';
import { ACCESS_KEY_ID, CHAIN_DEPTH, MAX_CHAIN_DEPTH, type Question, type Scope } from '../core/query-model.js';
import { parseTimeFlagMs } from './time-flags.js';
import { parseTimeSpec } from '../core/time-spec.js';
import type { QuestionFlags } from './commands/query.js';


/** The named question the flags ask, if any (at most one). */
export function questionFromFlags(flags: QuestionFlags): Question | undefined {
  const asked = [flags.accessKey !== undefined, flags.timeline !== undefined, flags.resource !== undefined, flags.summary === true].filter(Boolean).length;
  if (asked > 1) throw usageError('ask one question at a time: --access-key, --timeline, --resource or --summary');
  if (flags.accessKey !== undefined) {
    if (!ACCESS_KEY_ID.test(flags.accessKey)) throw usageError(`--access-key '${flags.accessKey}' is not an AWS access key id`, 'they look like AKIA... (long-term) or ASIA... (temporary), 16 to 128 capital letters and digits');
    return { kind: 'access-key', accessKeyId: flags.accessKey };
  }
  if (flags.chainDepth !== undefined && flags.timeline === undefined) throw usageError('--chain-depth is for --timeline', 'ask --timeline PRINCIPAL --chain-depth N');
  if (flags.timeline !== undefined) {
    if (flags.timeline.trim() === '' || flags.timeline.length > 2048) throw usageError('--timeline needs a principal: an ARN, a user or role name, or a role session ARN');
    return { kind: 'timeline', principal: flags.timeline, ...(flags.chainDepth === undefined ? {} : { depth: flags.chainDepth }) };
  }
  if (flags.resource !== undefined) {
    if (flags.resource.trim() === '' || flags.resource.length > 2048) throw usageError('--resource needs an ARN (or a resource name)');
    return { kind: 'resource', arn: flags.resource };
  }
  if (flags.summary === true) {
    // A duration is what parseTimeSpec reads as "that long before now".
    const reference = new Date(Date.UTC(2100, 0, 1));
    let baselineMs = Number.NaN;
    if (/^(\d+[wdhms])+$/.test(flags.baseline)) {
      try {
        baselineMs = reference.getTime() - parseTimeSpec(flags.baseline, reference).getTime();
      } catch {
        // reported below
      }
    }
    if (!(baselineMs >= 0)) throw usageError(`--baseline '${flags.baseline}' is not a duration`, 'e.g. 30d, 2w, 12h');
    return { kind: 'summary', top: flags.top, baselineMs };
  }
  return undefined;
}

export function scopeFromFlags(flags: QuestionFlags, now: Date): Scope {
  for (const account of flags.account) if (!/^\d{12}$/.test(account)) throw usageError(`--account '${account}' is not an AWS account id`, 'an account id is 12 digits');
  for (const region of flags.eventRegion) if (!/^[a-z]{2,4}(-[a-z]+)+-\d+$/.test(region)) throw usageError(`--event-region '${region}' is not a region name`, 'e.g. us-east-1');
  const since = parseTimeFlagMs('--since', flags.since, now);
  const until = parseTimeFlagMs('--until', flags.until, now);
  if (since !== undefined && until !== undefined && since > until) throw usageError(`--since ${flags.since} is after --until ${flags.until}`, 'swap them, or widen the window');
  return {
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
    ...(flags.account.length === 0 ? {} : { accounts: flags.account }),
    ...(flags.eventRegion.length === 0 ? {} : { regions: flags.eventRegion }),
  };
}

/**
 * Watches the rows of a timeline's `chain` result for identities at the chain's ends with
 * AssumeRole hops past the depth followed (`more`: a boolean from DuckDB, the text 'true' from
 * Athena), and words the warning for them.
 */
export class ChainEnds {
  private goingOn = 0;

  private constructor(
    private readonly question: Extract<Question, { kind: 'timeline' }>,
    private readonly at: number,
  ) {}

  /** A watch for the result `name` of `question`, or undefined when it is not a timeline's chain. */
  static of(question: Question | undefined, name: string, columns: readonly string[]): ChainEnds | undefined {
    const at = columns.indexOf('more');
    return question?.kind === 'timeline' && name === 'chain' && at >= 0 ? new ChainEnds(question, at) : undefined;
  }

  add(rows: readonly (readonly unknown[])[]): void {
    for (const row of rows) if (row[this.at] === true || row[this.at] === 'true') this.goingOn++;
  }

  /** The warning, with the flag that follows the chain further; undefined when it ended within the depth. */
  warning(): string | undefined {
    if (this.goingOn === 0) return undefined;
    const { principal, depth = CHAIN_DEPTH } = this.question;
    const where = `${this.goingOn} ${this.goingOn === 1 ? 'identity' : 'identities'} at its ends (more = true)`;
    if (depth >= MAX_CHAIN_DEPTH) return `${principal}'s AssumeRole chain goes on past ${depth} hops, the most followed, from ${where}: ask a --timeline of those identities`;
    return `${principal}'s AssumeRole chain goes on past ${depth} hops from ${where}, and those events are not in the timeline: ask again with --chain-depth ${Math.min(MAX_CHAIN_DEPTH, depth * 2)}`;
  }
}

/**
 * How a question's warnings are printed: on stderr as any warning, but with --show-sql as an SQL
 * comment after the statements, so that what stderr holds stays a file `query --file` runs.
 */
export function questionWarner(ctx: CliContext, showSql: boolean): (message: string) => void {
  return showSql ? (message) => void ctx.stderr.write(`-- trailkit: warning: ${safeText(message)}\n`) : (message) => ctx.warn(message);
}

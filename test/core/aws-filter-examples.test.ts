import { describe, expect, it } from 'vitest';
import { matchesPattern, parseFilterPattern, PatternSyntaxError, type FilterPattern } from '../../src/core/filter-pattern.js';
import { AWS_FILTER_EXAMPLES, AWS_RECORDED_BEHAVIOUR, type AwsFilterExample } from './aws-filter-examples.js';

/** A log event message as CloudWatch sees it: JSON messages are also parsed for JSON patterns. */
function matchesEvent(pattern: FilterPattern, message: string): boolean {
  let record: unknown;
  if (message.startsWith('{')) {
    try {
      record = JSON.parse(message);
    } catch {
      record = undefined;
    }
  }
  return matchesPattern(pattern, record, message);
}

interface Verdict {
  readonly agreed: number;
  readonly disagreed: string[];
  readonly refused: number;
  readonly events: number;
}

/** Checks one example against trailkit; returns what disagrees with AWS's stated verdict. */
function judge(example: AwsFilterExample): { refused: boolean; events: number; problems: string[] } {
  let pattern: FilterPattern | undefined;
  let error: unknown;
  try {
    pattern = parseFilterPattern(example.pattern);
  } catch (e) {
    error = e;
  }
  const events = (example.matches?.length ?? 0) + (example.misses?.length ?? 0);
  if (example.spaceDelimited === true) {
    const refusedWithReason = error instanceof PatternSyntaxError && /space-delimited patterns .* apply to non-JSON logs only/.test(error.message);
    return { refused: true, events, problems: refusedWithReason ? [] : [`${example.pattern}: not refused as a space-delimited pattern`] };
  }
  if (example.valid === false) {
    return { refused: false, events, problems: error instanceof PatternSyntaxError ? [] : [`${example.pattern}: AWS rejects it, trailkit accepts it`] };
  }
  if (pattern === undefined) return { refused: false, events, problems: [`${example.pattern}: AWS accepts it, trailkit rejects it (${(error as Error).message})`] };
  const problems: string[] = [];
  for (const event of example.matches ?? []) if (!matchesEvent(pattern, event)) problems.push(`${example.pattern}: AWS matches ${event}, trailkit does not`);
  for (const event of example.misses ?? []) if (matchesEvent(pattern, event)) problems.push(`${example.pattern}: trailkit matches ${event}, AWS does not`);
  return { refused: false, events, problems };
}

function tally(examples: readonly AwsFilterExample[]): Verdict {
  const verdict = { agreed: 0, disagreed: [] as string[], refused: 0, events: 0 };
  for (const example of examples) {
    const { refused, events, problems } = judge(example);
    verdict.events += events;
    if (problems.length > 0) verdict.disagreed.push(...problems);
    else if (refused) verdict.refused++;
    else verdict.agreed++;
  }
  return verdict;
}

describe("AWS's documented filter-pattern examples", () => {
  it.each(AWS_FILTER_EXAMPLES.map((e) => [e.pattern, e] as const))('%s', (_pattern, example) => {
    expect(judge(example).problems).toEqual([]);
  });

  it('agrees with AWS on every example it supports, and refuses only the space-delimited ones', () => {
    const verdict = tally(AWS_FILTER_EXAMPLES);
    expect(verdict.disagreed).toEqual([]);
    // The figures the README and the closing note quote.
    expect({ examples: AWS_FILTER_EXAMPLES.length, events: verdict.events, agreed: verdict.agreed, refused: verdict.refused }).toEqual({
      examples: 83,
      events: 111,
      agreed: 66,
      refused: 17,
    });
  });
});

describe("AWS's recorded behaviour (SPEC section 7)", () => {
  it.each(AWS_RECORDED_BEHAVIOUR.map((e) => [e.pattern, e] as const))('%s', (_pattern, example) => {
    expect(judge(example).problems).toEqual([]);
  });
});

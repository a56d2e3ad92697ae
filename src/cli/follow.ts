import { setTimeout as sleep } from 'node:timers/promises';
import { mapAwsError } from '../aws/errors.js';
import { TrailkitError } from '../core/errors.js';
import type { FileSearchResult, WireMatch } from '../sources/file-search.js';
import type { CliContext } from './context.js';
import type { EventPrinter } from './event-output.js';
import { reportFileResult } from './search-inputs.js';

/**
 * `tail -f`: polls every `intervalSeconds` until SIGINT/SIGTERM, printing new matches; a failed
 * poll (throttling, a dropped connection, a folder gone for a moment) is reported and tried again.
 */
export async function followPolls(
  ctx: CliContext,
  printer: EventPrinter,
  intervalSeconds: number,
  poll: (flush: (matches: WireMatch[]) => Promise<void>) => Promise<{ matches: WireMatch[]; results: readonly FileSearchResult[]; retrying?: number }>,
): Promise<void> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    while (!stop.signal.aborted) {
      try {
        await sleep(intervalSeconds * 1000, undefined, { signal: stop.signal });
      } catch {
        break;
      }
      try {
        // A poll that finds a huge delivery prints what it has so far rather than hold it all.
        const polled = await poll((matches) => printer.print(matches));
        for (const result of polled.results) reportFileResult(ctx, result);
        if (polled.retrying !== undefined && polled.retrying > 0) ctx.warn(`${polled.retrying} new objects could not be read yet; trying again in ${intervalSeconds} s`);
        await printer.print(polled.matches);
      } catch (error) {
        if (stop.signal.aborted) break;
        const message = error instanceof TrailkitError ? `${error.message}${error.hint === undefined ? '' : ` (${error.hint})`}` : mapAwsError(error, { action: 'polling' }).message;
        ctx.warn(`could not look for new events: ${message}; trying again in ${intervalSeconds} s`);
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

import type { SearchBatch } from '../jobs/search.js';
import type { CliContext } from './context.js';
import type { EventPrinter } from './event-output.js';
import { reportFileResult } from './search-inputs.js';

/** Prints a search's batches: problems on stderr as they come, events through the printer. */
export async function printBatches(ctx: CliContext, batches: AsyncIterable<SearchBatch>, printer: EventPrinter, options: { count?: boolean } = {}): Promise<{ matched: number; hadError: boolean; files: number; records: number; parsed: number }> {
  const tally = { matched: 0, hadError: false, files: 0, records: 0, parsed: 0 };
  for await (const batch of batches) {
    if (batch.path !== '' && batch.more !== true) tally.files++;
    tally.records += batch.records;
    tally.parsed += batch.parsed;
    if (reportFileResult(ctx, batch)) tally.hadError = true;
    if (options.count === true) {
      tally.matched += batch.matched;
    } else if (batch.matches.length > 0) {
      // Events found before a file's problem are real events: they are printed too.
      await printer.print(batch.matches);
      tally.matched += batch.matches.length;
    }
  }
  return tally;
}

/**
 * An abort signal for Ctrl-C (and SIGTERM) while `body` runs: the job stops reading, what it
 * found is printed, and the command exits 130 as a shell reports an interrupted command.
 */
export async function withInterrupt<T>(body: (signal: AbortSignal) => Promise<T>): Promise<{ value: T; interrupted: boolean }> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const value = await body(stop.signal);
    return { value, interrupted: stop.signal.aborted };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Exit status after Ctrl-C, as a shell reports a command that SIGINT ended. */
export const EXIT_INTERRUPTED = 130;

import { usageError } from '../core/errors.js';
import { filterWarnings, type FilterSpec } from '../core/record-filter.js';
import type { EventSource, SearchBatch } from '../jobs/search.js';
import type { CliContext } from './context.js';
import { EventPrinter, printerOptions, resolveEventFormat } from './event-output.js';
import { filterSpecFromFlags, type FilterFlags } from './filter-options.js';
import type { RemoteFlags } from './remote-options.js';
import { eventSourceOf, remoteSource, type RemoteSource } from './remote-source.js';
import { inputPaths, reportFileResult } from './search-inputs.js';

export interface EventCommandFlags extends FilterFlags, RemoteFlags {
  fields?: string;
  headers?: boolean;
  index?: string;
  verified?: boolean;
}

export interface OpenedSearch {
  readonly spec: FilterSpec;
  readonly printer: EventPrinter;
  readonly kind: RemoteSource | 'index';
  readonly source: EventSource;
}

/** --index reads the index only: no PATH, bucket or log group with it. */
function checkIndexFlags(paths: readonly string[], flags: EventCommandFlags, command: string): void {
  if (paths.length > 0) throw usageError(`${command} --index reads the index, not files (got ${paths.join(' ')})`, 'drop the paths, or --index');
  if (flags.bucket !== undefined || flags.logGroup !== undefined || flags.trail !== undefined || flags.lookup === true) throw usageError(`${command} --index cannot be used with --trail, --bucket, --log-group or --lookup`, 'run it once for each');
}

/** What grep and tail do first: the filters (and their warnings), the printer, and where to read. */
export function openEventSearch(ctx: CliContext, paths: readonly string[], flags: EventCommandFlags, command: 'grep' | 'tail'): OpenedSearch {
  const spec = filterSpecFromFlags(flags, ctx.now());
  for (const warning of filterWarnings(spec)) ctx.warn(warning);
  const printer = new EventPrinter(ctx, resolveEventFormat(ctx.globals.output, ctx.stdoutIsTTY), printerOptions(flags));
  if (flags.index !== undefined) {
    checkIndexFlags(paths, flags, command);
    return { spec, printer, kind: 'index', source: { kind: 'index', dir: flags.index, verified: flags.verified === true } };
  }
  if (flags.verified === true) throw usageError('--verified goes with --index', 'verdicts are stored by trailkit index --validate');
  const kind = remoteSource(ctx, paths, flags, command);
  const source = eventSourceOf(ctx, kind, kind === 'files' ? inputPaths(ctx, paths, command) : [], flags);
  return { spec, printer, kind, source };
}

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

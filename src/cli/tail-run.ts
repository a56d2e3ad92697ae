import { EXIT_ERROR, EXIT_NEGATIVE, EXIT_OK, usageError } from '../core/errors.js';
import { compileFilter, filterWarnings } from '../core/record-filter.js';
import { newest, type WireMatch } from '../sources/file-search.js';
import { STDIN_PATH, type InputFile } from '../sources/local-files.js';
import { LocalFollower } from '../sources/local-follow.js';
import type { CliContext } from './context.js';
import { EventPrinter, printerOptions, reportInputError, resolveEventFormat } from './event-output.js';
import { filterSpecFromFlags } from './filter-options.js';
import { followPolls } from './follow.js';
import { remoteSource } from './remote-source.js';
import { inputPaths, resolveInputs, searchInputs } from './search-inputs.js';
import type { TailFlags } from './tail.js';

/** How often -f looks at local files by default. */
const LOCAL_POLL_SECONDS = 1;

export async function runTail(ctx: CliContext, paths: readonly string[], flags: TailFlags): Promise<number> {
  const spec = filterSpecFromFlags(flags, ctx.now());
  for (const warning of filterWarnings(spec)) ctx.warn(warning);
  const format = resolveEventFormat(ctx.globals.output, ctx.stdoutIsTTY);
  const printer = new EventPrinter(ctx, format, printerOptions(flags));
  if (flags.index !== undefined) {
    const { checkIndexFlags, tailIndex } = await import('./grep-index-run.js');
    checkIndexFlags(paths, flags, 'tail');
    return tailIndex(ctx, spec, flags, printer);
  }
  if (flags.verified === true) throw usageError('--verified goes with --index', 'verdicts are stored by trailkit index --validate');
  const source = remoteSource(ctx, paths, flags, 'tail');
  if (source !== 'files') return (await import('./tail-remote.js')).runTailRemote(ctx, spec, flags, printer, source);
  const inputs = inputPaths(ctx, paths, 'tail');
  if (flags.follow === true && inputs.includes(STDIN_PATH)) {
    throw usageError('tail -f follows files and folders, not standard input', 'give the folder the logs are delivered to');
  }
  const { files, hadError: inputError } = await resolveInputs(ctx, inputs, { emptyIsFine: flags.follow === true });

  const follower = flags.follow === true ? new LocalFollower(inputs, compileFilter(spec)) : undefined;
  const byPath = new Map<string, InputFile>(files.map((f) => [f.path, f]));
  let kept: WireMatch[] = [];
  // A large file comes in batches: its records add up until its last batch.
  let records = 0;
  const { hadError } = await searchInputs(ctx, files, spec, { keepNewest: flags.lines }, async (result) => {
    kept = newest(kept.concat(result.matches), flags.lines);
    records += result.records;
    const file = byPath.get(result.path);
    if (follower !== undefined && file !== undefined) {
      for (const match of result.matches) follower.remember(match);
      if (result.more !== true) follower.seed(file, { ...result, records });
    }
    if (result.more !== true) records = 0;
    return true;
  });
  await printer.print(kept);

  if (follower === undefined) {
    await printer.finish();
    if (inputError || hadError) return EXIT_ERROR;
    return kept.length > 0 ? EXIT_OK : EXIT_NEGATIVE;
  }
  await followPolls(ctx, printer, flags.interval ?? LOCAL_POLL_SECONDS, async (flush) => {
    const polled = await follower.poll(flush);
    for (const error of polled.errors) reportInputError(ctx, error.path, error.message);
    return polled;
  });
  await printer.finish();
  return EXIT_OK;
}

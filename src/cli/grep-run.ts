import { EXIT_ERROR, EXIT_NEGATIVE, EXIT_OK, usageError } from '../core/errors.js';
import { CIS_PRESETS } from '../core/cis-presets.js';
import type { CliContext } from './context.js';
import { EventPrinter, printerOptions, resolveEventFormat } from './event-output.js';
import { filterSpecFromFlags } from './filter-options.js';
import { filterWarnings } from '../core/record-filter.js';
import type { GrepFlags } from './grep.js';
import { remoteSource } from './remote-source.js';
import { inputPaths, resolveInputs, searchInputs } from './search-inputs.js';

export async function runGrep(ctx: CliContext, paths: readonly string[], flags: GrepFlags): Promise<number> {
  if (flags.listPresets === true) {
    await ctx.write(formatPresets(ctx));
    return EXIT_OK;
  }
  const started = performance.now();
  const spec = filterSpecFromFlags(flags, ctx.now());
  for (const warning of filterWarnings(spec)) ctx.warn(warning);
  const format = resolveEventFormat(ctx.globals.output, ctx.stdoutIsTTY);
  const printer = new EventPrinter(ctx, format, printerOptions(flags));
  if (flags.index !== undefined) {
    const { checkIndexFlags, grepIndex } = await import('./grep-index-run.js');
    checkIndexFlags(paths, flags, 'grep');
    return grepIndex(ctx, spec, flags, printer);
  }
  if (flags.verified === true) throw usageError('--verified goes with --index', 'verdicts are stored by trailkit index --validate');
  const source = remoteSource(ctx, paths, flags, 'grep');
  if (source !== 'files') return (await import('./grep-remote.js')).runGrepRemote(ctx, spec, flags, printer, source);
  const { files, hadError: inputError } = await resolveInputs(ctx, inputPaths(ctx, paths, 'grep'));

  const limit = flags.limit;
  let matched = 0;
  const { hadError, stats } = await searchInputs(ctx, files, spec, { limit, countOnly: flags.count === true }, async (result) => {
    const room = limit === undefined ? Infinity : limit - matched;
    if (flags.count === true) {
      matched += Math.min(result.matched, room);
    } else {
      const take = result.matches.length > room ? result.matches.slice(0, room) : result.matches;
      await printer.print(take);
      matched += take.length;
    }
    return limit === undefined || matched < limit;
  });
  await printer.finish();
  if (flags.count === true) await ctx.write(`${matched}\n`);
  const { workers, filesByWorkers } = stats.threads;
  const threads = workers === 0 ? 'one thread' : `${workers + 1} threads (${filesByWorkers} files searched by ${workers === 1 ? 'the worker' : `${workers} workers`})`;
  ctx.debug(`grep: ${stats.files} files, ${stats.records} records, ${stats.parsed} parsed, ${matched} matched in ${Math.round(performance.now() - started)} ms on ${threads}`);
  if (inputError || hadError) return EXIT_ERROR;
  return matched > 0 ? EXIT_OK : EXIT_NEGATIVE;
}

function formatPresets(ctx: CliContext): string {
  if (ctx.globals.output === 'json') return `${JSON.stringify(CIS_PRESETS, null, 2)}\n`;
  return CIS_PRESETS.map((p) => `${ctx.chalk.bold(p.id)}  ${p.name}  ${p.title}\n    ${p.pattern}\n`).join('');
}

import { EXIT_NEGATIVE, EXIT_OK, usageError } from '../core/errors.js';
import { questionSql, type QuestionQuery } from '../core/query-model.js';
import { RowPrinter, parseRowFormat, type RowFormat } from '../output/result-rows.js';
import { openFiles, openIndex, streamQuery, type EventsTable } from '../sources/index-query.js';
import { expandInputs } from '../sources/local-files.js';
import type { CliContext } from './context.js';
import { reportInputError } from './event-output.js';
import type { QueryFlags } from './commands/query.js';
import { questionFromFlags, scopeFromFlags } from './question-flags.js';

const TARGET = { dialect: 'duckdb', table: 'index', from: 'events', partitions: { kind: 'index' } } as const;

export function resolveRowFormat(ctx: CliContext): RowFormat {
  const format = parseRowFormat(ctx.globals.output, ctx.stdoutIsTTY);
  if (format === undefined) throw usageError(`--output '${ctx.globals.output as string}' is not a format for query results`, 'use pretty, table, text, json or csv');
  return format;
}

/** Prints the SQL of each result set on stderr, as a comment naming it. */
export function showSql(ctx: CliContext, queries: readonly QuestionQuery[]): void {
  for (const q of queries) ctx.stderr.write(`-- ${q.name}: ${q.title}\n${q.sql};\n\n`);
}

async function openTable(ctx: CliContext, paths: readonly string[], flags: QueryFlags): Promise<EventsTable> {
  if (flags.index !== undefined) {
    if (paths.length > 0) throw usageError(`query reads --index or files, not both (got ${paths.join(' ')})`, 'drop the paths, or --index');
    return openIndex(flags.index);
  }
  if (paths.length === 0) throw usageError('query needs --index DIR or files to read', 'e.g. trailkit query "SELECT count(*) FROM events" --index ./trail-index');
  const { files, problems } = await expandInputs(paths);
  for (const p of problems) reportInputError(ctx, p.path, p.message);
  if (files.length === 0) throw usageError('no log files to read');
  const table = await openFiles(files, {
    onOutcome: (o) => {
      if (o.error !== undefined) reportInputError(ctx, o.id, o.error);
      for (const problem of o.problems) reportInputError(ctx, o.id, problem);
    },
  });
  return table;
}

export async function runQuery(ctx: CliContext, args: readonly string[], flags: QueryFlags): Promise<number> {
  const question = questionFromFlags(flags);
  const scope = scopeFromFlags(flags, ctx.now());
  const format = resolveRowFormat(ctx);
  let queries: QuestionQuery[];
  let paths: readonly string[];
  if (question !== undefined) {
    // --verified: the questions read only the events of files whose integrity verdict is valid.
    queries = questionSql(question, scope, flags.verified === true ? { ...TARGET, from: "(SELECT * FROM events WHERE verdict = 'valid')" } : TARGET);
    paths = args;
  } else {
    const sql = args[0];
    if (sql === undefined || sql.trim() === '') throw usageError('query needs SQL, or a question flag (--access-key, --timeline, --resource, --summary)', 'e.g. trailkit query "SELECT eventname, count(*) FROM events GROUP BY 1" --index ./trail-index');
    if (flags.since !== undefined || flags.until !== undefined || flags.account.length > 0 || flags.eventRegion.length > 0 || flags.verified === true) {
      throw usageError('--since, --until, --account, --event-region and --verified scope the named questions; in SQL write the condition', "e.g. WHERE event_ms >= epoch_ms(TIMESTAMP '2026-11-20') AND verdict = 'valid'");
    }
    queries = [{ name: 'result', title: 'result', sql, events: false }];
    paths = args.slice(1);
  }
  if (flags.showSql === true) showSql(ctx, queries);
  const table = await openTable(ctx, paths, flags);
  let rows = 0;
  try {
    for (const q of queries) {
      const started = performance.now();
      const result = await streamQuery(table.session, flags.limit === undefined ? q.sql : `SELECT * FROM (${q.sql}) LIMIT ${flags.limit}`);
      const titled = queries.length > 1 || question !== undefined;
      const printer = new RowPrinter(format, (t) => ctx.write(t), ctx.chalk, titled ? q.title : undefined);
      const columns = format === 'json' && queries.length > 1 && !q.events ? ['result', ...result.columns] : result.columns;
      printer.begin(columns);
      // json prints a result of events as each record's own text: only `raw` is read out.
      const rawAt = result.columns.indexOf('raw');
      const only = format === 'json' && q.events && rawAt >= 0 ? new Set([rawAt]) : undefined;
      for await (const chunk of result.chunks(only)) {
        await printer.add(columns.length === result.columns.length ? chunk : chunk.map((r) => [q.name, ...r]));
      }
      await printer.finish();
      rows += printer.rows;
      ctx.debug(`${q.name}: ${printer.rows} rows in ${Math.round(performance.now() - started)} ms`);
    }
  } finally {
    await table.close();
  }
  return rows > 0 ? EXIT_OK : EXIT_NEGATIVE;
}

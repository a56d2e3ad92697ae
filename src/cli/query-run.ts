/**
 * `trailkit query`: SQL (an argument, or every statement of --file), or a named question, run
 * through the library's openEventIndex on one DuckDB session; each result printed as it streams.
 */
import { readFile } from 'node:fs/promises';
import { EXIT_ERROR, EXIT_NEGATIVE, EXIT_OK, TrailkitError, usageError } from '../core/errors.js';
import type { QuestionQuery } from '../core/query-model.js';
import { verifiedWarning } from '../core/index-manifest.js';
import { firstLine, splitStatements } from '../core/sql-statements.js';
import { openEventIndex, questionQueries, type EventIndex, type QuestionRequest } from '../jobs/query.js';
import { formatInstant } from '../core/trail-window.js';
import { RowPrinter, parseRowFormat, type RowFormat } from '../output/result-rows.js';
import { describeFsError } from '../sources/local-files.js';
import type { CliContext } from './context.js';
import { reportInputError } from './event-output.js';
import type { QueryFlags } from './commands/query.js';
import { jobOptionsOf } from './job-options.js';
import { ChainEnds, questionFromFlags, questionWarner, scopeFromFlags } from './question-flags.js';

export function resolveRowFormat(ctx: CliContext): RowFormat {
  const format = parseRowFormat(ctx.globals.output, ctx.stdoutIsTTY);
  if (format === undefined) throw usageError(`--output '${ctx.globals.output as string}' is not a format for query results`, 'use pretty, table, text, json or csv');
  return format;
}

/**
 * Prints the SQL of each result set on stderr, each after a comment naming it: the text is a valid
 * `--file` (which reads the `-- name: title` comment back as the result's name and title).
 */
export function showSql(ctx: CliContext, queries: readonly QuestionQuery[]): void {
  for (const q of queries) ctx.stderr.write(`-- ${q.name}: ${q.title.replace(/[\r\n]+/g, ' ')}\n${q.sql};\n\n`);
}

/** A statement of --file, named by the `-- name: title` comment before it (as --show-sql prints), or by its number. */
interface FileStatement extends QuestionQuery {
  readonly number: number;
  readonly line: number;
}

async function readSqlFile(ctx: CliContext, file: string): Promise<string> {
  if (file === '-') {
    const parts: Buffer[] = [];
    for await (const chunk of ctx.stdin) parts.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    return Buffer.concat(parts).toString('utf8');
  }
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw usageError(`--file ${file}: ${describeFsError(error)}`, 'give a file of SQL statements separated by ;, or - for standard input');
  }
}

async function fileStatements(ctx: CliContext, file: string): Promise<FileStatement[]> {
  const text = await readSqlFile(ctx, file);
  const statements = splitStatements(text);
  if (statements.length === 0) throw usageError(`--file ${file === '-' ? '(standard input)' : file} holds no SQL statement`, 'statements are separated by ;');
  return statements.map((s) => {
    const named = /^--[ \t]*([a-z][a-z0-9-]*):[ \t]*([^\n]*)\n/.exec(s.sql);
    const first = firstLine(s.sql);
    return {
      name: named?.[1] ?? `statement-${s.number}`,
      title: named?.[2]?.trim() ?? `statement ${s.number}: ${first.length > 100 ? `${first.slice(0, 100)}...` : first}`,
      sql: s.sql,
      events: false,
      number: s.number,
      line: s.line,
    };
  });
}

/**
 * The summary's first-seen tables compare the window with the baseline before it: on an index
 * whose first event comes after the baseline's start, every principal and IP the baseline would
 * have held is "first seen". Says so, or undefined when the index covers the baseline.
 */
async function shortBaselineWarning(index: EventIndex, baselineStart: number, verified: boolean): Promise<string | undefined> {
  const result = await index.query(`SELECT min(event_ms) AS first FROM events${verified ? " WHERE verdict = 'valid'" : ''}`);
  let first: unknown = null;
  for await (const rows of result.chunks()) first = rows[0]?.[0] ?? first;
  if (first === null || first === undefined || Number(first) <= baselineStart) return undefined;
  return `--summary: the index's first event (${formatInstant(Number(first))}) is after the baseline's start (${formatInstant(baselineStart)}), so "first seen" means first seen in the index: index the --baseline before --since too`;
}

export async function runQuery(ctx: CliContext, args: readonly string[], flags: QueryFlags): Promise<number> {
  const question = questionFromFlags(flags);
  const scope = scopeFromFlags(flags, ctx.now());
  const format = resolveRowFormat(ctx);
  let queries: (QuestionQuery & { number?: number; line?: number })[];
  let paths: readonly string[];
  const scoped = flags.since !== undefined || flags.until !== undefined || flags.account.length > 0 || flags.eventRegion.length > 0 || flags.verified === true;
  if (question !== undefined) {
    if (flags.file !== undefined) throw usageError('--file runs SQL statements; ask a question (--access-key, --timeline, --resource, --summary) without it', 'or put the SQL that --show-sql prints in the file');
    const request: QuestionRequest = {
      question,
      ...(scope.since === undefined ? {} : { since: scope.since }),
      ...(scope.until === undefined ? {} : { until: scope.until }),
      ...(scope.accounts === undefined ? {} : { accounts: scope.accounts }),
      ...(scope.regions === undefined ? {} : { regions: scope.regions }),
      verified: flags.verified === true,
    };
    queries = questionQueries(request);
    paths = args;
  } else {
    if (scoped) throw usageError('--since, --until, --account, --event-region and --verified scope the named questions; in SQL write the condition', "e.g. WHERE event_ms >= epoch_ms(TIMESTAMP '2026-11-20') AND verdict = 'valid'");
    if (flags.file !== undefined) {
      if (flags.file === '') throw usageError('--file is empty', 'give a file of SQL statements, or - for standard input');
      queries = await fileStatements(ctx, flags.file);
      paths = args;
    } else {
      const sql = args[0];
      if (sql === undefined || sql.trim() === '') throw usageError('query needs SQL, --file, or a question flag (--access-key, --timeline, --resource, --summary)', 'e.g. trailkit query "SELECT eventname, count(*) FROM events GROUP BY 1" --index ./trail-index');
      queries = [{ name: 'result', title: 'result', sql, events: false }];
      paths = args.slice(1);
    }
  }
  if (flags.showSql === true) showSql(ctx, queries);
  if (flags.index !== undefined && paths.length > 0) throw usageError(`query reads --index or files, not both (got ${paths.join(' ')})`, 'drop the paths, or --index');
  if (flags.index === undefined && paths.length === 0) throw usageError('query needs --index DIR or files to read', 'e.g. trailkit query "SELECT count(*) FROM events" --index ./trail-index');
  // Files read directly that could not be read, or only in part: reported, and the exit status says so, as grep's does.
  let problems = 0;
  const index = await openEventIndex(flags.index ?? { files: paths }, {
    ...jobOptionsOf(ctx),
    onProblem: (source, message) => {
      problems++;
      reportInputError(ctx, source, message);
    },
  });
  const warnQuestion = questionWarner(ctx, flags.showSql === true);
  if (flags.verified === true) {
    const warning = verifiedWarning(index.verdicts);
    if (warning !== undefined) warnQuestion(warning);
  }
  if (question?.kind === 'summary' && scope.since !== undefined) {
    const warning = await shortBaselineWarning(index, scope.since - question.baselineMs, flags.verified === true);
    if (warning !== undefined) warnQuestion(warning);
  }
  const titled = queries.length > 1 || question !== undefined || flags.file !== undefined;
  let rows = 0;
  try {
    for (const q of queries) {
      const started = performance.now();
      try {
        const result = await index.query(q.sql, flags.limit === undefined ? {} : { limit: flags.limit });
        // CREATE, SET and the like: nothing to print, not even a title over DuckDB's placeholder column.
        if (!result.returnsRows) {
          ctx.debug(`${q.name}: done, no rows to return (${Math.round(performance.now() - started)} ms)`);
          continue;
        }
        const events = q.events || (flags.file !== undefined && result.columns.includes('raw'));
        const printer = new RowPrinter(format, (t) => ctx.write(t), ctx.chalk, titled ? q.title : undefined);
        const columns = format === 'json' && queries.length > 1 && !events ? ['result', ...result.columns] : [...result.columns];
        printer.begin(columns);
        // json prints a result of events as each record's own text: only `raw` is read out.
        const only = format === 'json' && events && result.columns.includes('raw') ? ['raw'] : undefined;
        const chain = ChainEnds.of(question, q.name, result.columns);
        for await (const chunk of result.chunks(only === undefined ? {} : { only })) {
          chain?.add(chunk);
          await printer.add(columns.length === result.columns.length ? chunk : chunk.map((r) => [q.name, ...r]));
        }
        await printer.finish();
        const goesOn = chain?.warning();
        if (goesOn !== undefined) warnQuestion(goesOn);
        rows += printer.rows;
        ctx.debug(`${q.name}: ${printer.rows} rows in ${Math.round(performance.now() - started)} ms`);
      } catch (error) {
        // A statement of a file that fails is named by its number and first line; the results before it stay printed.
        if (q.number !== undefined && error instanceof TrailkitError && error.code === 'query') {
          const first = firstLine(q.sql);
          throw new TrailkitError('query', `--file statement ${q.number} (line ${q.line}: ${first.length > 80 ? `${first.slice(0, 80)}...` : first}): ${error.message.replace(/^SQL: /, '')}`, { cause: error });
        }
        throw error;
      }
    }
  } finally {
    await index.close();
  }
  if (problems > 0) return EXIT_ERROR;
  return rows > 0 ? EXIT_OK : EXIT_NEGATIVE;
}

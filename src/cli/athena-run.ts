import type { AwsClients } from '../aws/clients.js';
import { cloudTrailTableDdl, ddlProblems, NAME, parquetTableDdl, type AthenaLayout } from '../core/athena-ddl.js';
import { EXIT_NEGATIVE, EXIT_OK, TrailkitError, usageError } from '../core/errors.js';
import { compileFilterSql, questionSql, type PartitionScheme, type QuestionQuery, type SqlTarget } from '../core/query-model.js';
import { compileFilter } from '../core/record-filter.js';
import type { CloudTrailRecord } from '../core/record.js';
import { KNOWN_REGIONS } from '../core/regions.js';
import { parseTrailArn } from '../core/s3-layout.js';
import { ident } from '../core/sql-text.js';
import { RowPrinter } from '../output/result-rows.js';
import { withAws } from './aws-command.js';
import type { AthenaDdlFlags, AthenaQueryFlags } from './commands/athena.js';
import type { CliContext } from './context.js';
import { filterSpecFromFlags } from './filter-options.js';
import { formatBytes } from './progress.js';
import { resolveRowFormat, showSql } from './query-run.js';
import { ChainEnds, questionFromFlags, questionWarner } from './question-flags.js';

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2,4}(-[a-z]+)+-\d+$/;
/** Commercial regions: the default enum of an organization table (China and GovCloud are other partitions). */
const COMMERCIAL_REGIONS = KNOWN_REGIONS.filter((r) => !r.startsWith('cn-') && !r.startsWith('us-gov-'));

function checkNames(flags: { database?: string; table?: string }): void {
  for (const [flag, value] of [['--database', flags.database], ['--table', flags.table]] as const) {
    if (value !== undefined && !NAME.test(value)) throw usageError(`${flag} '${value}' is not an Athena name`, 'lower-case letters, digits and _, starting with a letter or _');
  }
}

export async function runAthenaDdl(ctx: CliContext, flags: AthenaDdlFlags): Promise<number> {
  checkNames(flags);
  for (const a of flags.account) if (!ACCOUNT.test(a)) throw usageError(`--account '${a}' is not an AWS account id`, 'an account id is 12 digits');
  for (const r of flags.eventRegion) if (!REGION.test(r)) throw usageError(`--event-region '${r}' is not a region name`, 'e.g. us-east-1');
  if (!/^\d{4}\/\d{2}\/\d{2}$/.test(flags.rangeStart)) throw usageError(`--range-start '${flags.rangeStart}' is not yyyy/MM/dd`, 'e.g. 2020/01/01');
  if (flags.organizationId !== undefined && !/^o-[a-z0-9]{10,32}$/.test(flags.organizationId)) throw usageError(`--organization-id '${flags.organizationId}' is not an organization id`, 'it looks like o-a1b2c3d4e5');
  const sources = [flags.trail, flags.bucket, flags.parquet].filter((s) => s !== undefined).length;
  if (sources !== 1) throw usageError('give one of --trail, --bucket or --parquet', 'e.g. trailkit athena ddl --bucket my-trail-bucket --account 111111111111 --event-region us-east-1');

  let statements: string[];
  if (flags.parquet !== undefined) {
    const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(flags.parquet);
    if (m === null) throw usageError(`--parquet '${flags.parquet}' is not an S3 URL`, 'e.g. s3://my-bucket/trail-index/');
    const layout: AthenaLayout = { kind: 'parquet', ...(flags.account.length === 0 ? {} : { accounts: flags.account }), regions: flags.eventRegion.length === 0 ? COMMERCIAL_REGIONS : flags.eventRegion };
    statements = parquetTableDdl({ ...(flags.database === undefined ? {} : { database: flags.database }), table: flags.table ?? 'trailkit_index', bucket: m[1] as string, prefix: m[2] ?? '', layout, rangeStart: flags.rangeStart });
  } else {
    let bucket = flags.bucket as string | undefined;
    let prefix = flags.prefix;
    let account = flags.account;
    let regions = flags.eventRegion;
    let orgId = flags.organizationId;
    if (flags.trail !== undefined) {
      const trail = await withAws(ctx, 'cloudtrail:GetTrail', async (clients: AwsClients) => {
        const [{ readTrail }, { parseTrailRef }] = await Promise.all([import('../aws/trail-lookup.js'), import('../core/resource-refs.js')]);
        return readTrail(clients, parseTrailRef(flags.trail as string), (m) => ctx.debug(m));
      });
      if (trail.bucket === undefined) throw usageError(`trail ${trail.arn} delivers to no S3 bucket`, 'Athena reads the log files from S3');
      bucket = trail.bucket;
      prefix ??= trail.prefix === '' ? undefined : trail.prefix;
      orgId ??= trail.organizationId;
      const trailAccount = parseTrailArn(trail.arn)?.account;
      if (account.length === 0 && !trail.isOrganizationTrail && trailAccount !== undefined) account = [trailAccount];
      if (regions.length === 0 && !trail.isMultiRegionTrail) regions = [trail.homeRegion];
      if (trail.isOrganizationTrail && orgId === undefined) {
        throw usageError(`${trail.name} is an organization trail: give its --organization-id`, "the o-... folder under AWSLogs/ in the trail's bucket");
      }
      if (!trail.isOrganizationTrail && regions.length === 0) regions = [trail.homeRegion];
    }
    if (bucket === undefined || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw usageError(`--bucket '${String(bucket)}' is not an S3 bucket name`);
    let layout: AthenaLayout;
    if (orgId !== undefined) {
      layout = { kind: 'organization', orgId, ...(account.length === 0 ? {} : { accounts: account }), regions: regions.length === 0 ? COMMERCIAL_REGIONS : regions };
    } else {
      if (account.length !== 1 || regions.length !== 1) {
        throw usageError('AWS\'s table is for one account and one region: give one --account and one --event-region', 'or --organization-id for an organization trail (account and region partitions), or run it once per account and region');
      }
      layout = { kind: 'single', account: account[0] as string, region: regions[0] as string };
    }
    statements = [cloudTrailTableDdl({ ...(flags.database === undefined ? {} : { database: flags.database }), table: flags.table ?? (orgId === undefined ? 'cloudtrail_logs_pp' : 'cloudtrail_org_logs'), bucket, ...(prefix === undefined ? {} : { prefix }), layout, rangeStart: flags.rangeStart })];
  }
  const problems = ddlProblems(statements[0] as string);
  if (problems.length > 0) throw new TrailkitError('ddl', `the generated DDL has a problem: ${problems.join('; ')}`);
  await ctx.write(`${statements.join(';\n\n')};\n`);
  return EXIT_OK;
}

function partitionsOf(layout: string): PartitionScheme {
  if (layout === 'organization') return { kind: 'organization', account: 'account', region: 'region', day: 'timestamp' };
  if (layout === 'parquet') return { kind: 'index' };
  return { kind: 'day', day: 'timestamp' };
}

function tableRef(flags: AthenaQueryFlags): string {
  return flags.table === undefined ? '' : flags.database === undefined ? ident(flags.table) : `${ident(flags.database)}.${ident(flags.table)}`;
}

const hasFilters = (flags: AthenaQueryFlags): boolean =>
  flags.eventName.length + flags.eventSource.length + flags.user.length + flags.sourceIp.length + flags.errorCode.length + flags.eventId.length + flags.pattern.length + flags.preset.length > 0 ||
  flags.errors === true || flags.readOnly === true || flags.writeOnly === true;

export async function runAthenaQuery(ctx: CliContext, sql: string | undefined, flags: AthenaQueryFlags): Promise<number> {
  checkNames(flags);
  const format = resolveRowFormat(ctx);
  const pricePerTb = Number(flags.pricePerTb);
  if (!(pricePerTb >= 0)) throw usageError(`--price-per-tb '${flags.pricePerTb}' is not a price`, 'e.g. 5');
  if (flags.outputLocation !== undefined && !/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(flags.outputLocation)) throw usageError(`--output-location '${flags.outputLocation}' is not an S3 URL`, 'e.g. s3://my-athena-results/trailkit/');
  const question = questionFromFlags({ ...flags, account: flags.account, eventRegion: flags.eventRegion });
  const spec = filterSpecFromFlags(flags, ctx.now());
  const filtering = hasFilters(flags);
  const modes = [sql !== undefined, question !== undefined, filtering].filter(Boolean).length;
  if (modes > 1) throw usageError('give SQL, grep filters or one question, not several', 'filters and questions build their own SQL: --show-sql prints it');
  const target: SqlTarget = { dialect: 'trino', table: flags.layout === 'parquet' ? 'index' : 'cloudtrail', from: tableRef(flags), partitions: partitionsOf(flags.layout) };
  let queries: QuestionQuery[];
  let localCheck = false;
  if (sql !== undefined) {
    queries = [{ name: 'result', title: 'result', sql, events: false }];
  } else {
    if (flags.table === undefined) throw usageError('filters and questions need --table (the table made with trailkit athena ddl)', 'e.g. --table cloudtrail_logs_pp --database default');
    if (flags.layout !== 'single' && flags.account.length === 0) {
      ctx.warn(`the ${flags.layout} table's account partition may be injected: then Athena needs --account`);
    }
    const scope = { ...(spec.since === undefined ? {} : { since: spec.since }), ...(spec.until === undefined ? {} : { until: spec.until }), ...(flags.account.length === 0 ? {} : { accounts: flags.account }), ...(flags.eventRegion.length === 0 ? {} : { regions: flags.eventRegion }) };
    if (question !== undefined) {
      queries = questionSql(question, scope, target);
    } else {
      const where = compileFilterSql(spec, target);
      if (where.unsupported.length > 0) throw usageError(`cannot run on Athena's CloudTrail table: ${where.unsupported.join('; ')}`, 'use a Parquet index table (--layout parquet), or grep');
      if (where.inexact.length > 0 && target.table !== 'index') {
        throw usageError(`${where.inexact.join(', ')}: Athena's SQL cannot match these exactly as grep does, and the CloudTrail table has no record text to check them on`, 'use a Parquet index table (--layout parquet), where they are checked locally, or grep');
      }
      // The Parquet table has each record's text: every row is checked on it, since even an exact
      // filter's columns can differ from what JSON.parse reads (a number read as text, a key there
      // twice: the columns hold its first value, JSON.parse its last).
      localCheck = target.table === 'index';
      const columns = target.table === 'index'
        ? 'eventtime, useridentity.arn AS principal, eventsource, eventname, awsregion, sourceipaddress, errorcode, raw'
        : 'eventtime, useridentity.arn AS principal, eventsource, eventname, awsregion, sourceipaddress, errorcode, coalesce(recipientaccountid, useridentity.accountid) AS account, eventid';
      queries = [{ name: 'events', title: 'events', sql: `SELECT ${columns}\nFROM ${target.from}\nWHERE ${where.sql}\nORDER BY eventtime`, events: true }];
    }
  }
  if (flags.limit !== undefined) queries = queries.map((q) => ({ ...q, sql: `SELECT * FROM (${q.sql}) LIMIT ${flags.limit}` }));
  if (flags.showSql === true) showSql(ctx, queries);
  const warnQuestion = questionWarner(ctx, flags.showSql === true);

  const controller = new AbortController();
  const onInterrupt = () => {
    ctx.stderr.write('trailkit: stopping the Athena query (StopQueryExecution)\n');
    controller.abort();
  };
  process.once('SIGINT', onInterrupt);
  let rows = 0;
  const matcher = localCheck ? compileFilter(spec) : undefined;
  try {
    await withAws(ctx, 'athena:StartQueryExecution', async (clients) => {
      const [{ runAthenaQuery: run, estimatedCost }, client] = await Promise.all([import('../aws/athena.js'), clients.athena()]);
      for (const q of queries) {
        const finished = await run(client, {
          sql: q.sql,
          workgroup: flags.workgroup,
          ...(flags.database === undefined ? {} : { database: flags.database }),
          ...(flags.outputLocation === undefined ? {} : { outputLocation: flags.outputLocation }),
        }, { signal: controller.signal, onState: (s) => ctx.debug(`athena ${q.name}: ${s}`) });
        const printer = new RowPrinter(format, (t) => ctx.write(t), ctx.chalk, queries.length > 1 || question !== undefined ? q.title : undefined);
        let begun = false;
        let chain: ChainEnds | undefined;
        for await (const page of finished.pages()) {
          chain ??= ChainEnds.of(question, q.name, page.columns);
          chain?.add(page.rows);
          if (!begun) {
            printer.begin(queries.length > 1 && format === 'json' && !q.events ? ['result', ...page.columns] : page.columns);
            begun = true;
          }
          let pageRows: unknown[][] = page.rows;
          if (matcher !== undefined) {
            const rawAt = page.columns.indexOf('raw');
            pageRows = pageRows.filter((r) => {
              const raw = r[rawAt];
              if (typeof raw !== 'string') return false;
              try {
                return matcher.test(JSON.parse(raw) as CloudTrailRecord, raw);
              } catch {
                return false;
              }
            });
          }
          await printer.add(queries.length > 1 && format === 'json' && !q.events ? pageRows.map((r) => [q.name, ...r]) : pageRows);
        }
        if (!begun) printer.begin([]);
        await printer.finish();
        const goesOn = chain?.warning();
        if (goesOn !== undefined) warnQuestion(goesOn);
        rows += printer.rows;
        const cost = estimatedCost(finished.scannedBytes, pricePerTb);
        ctx.stderr.write(`${ctx.errChalk.dim(`trailkit: Athena query ${finished.id} (${q.name}): scanned ${formatBytes(finished.scannedBytes)}, estimated cost $${cost.toFixed(6)} (at $${pricePerTb} per TB, 10 MB minimum)`)}\n`);
      }
    });
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
  return rows > 0 ? EXIT_OK : EXIT_NEGATIVE;
}

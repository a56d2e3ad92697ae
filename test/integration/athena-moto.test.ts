import { AthenaClient, GetQueryExecutionCommand, ListQueryExecutionsCommand } from '@aws-sdk/client-athena';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { questionSql } from '../../src/core/query-model.js';
import { startCli, type CliResult } from '../helpers/cli.js';
import { describeWithMoto, motoClientConfig, motoEnv, startMoto, type MotoServer } from '../helpers/moto.js';

/** The results moto returns for the next query executions (moto records queries but runs no SQL). */
async function queueResults(moto: MotoServer, results: { columns: string[]; rows: (string | null)[][] }[]): Promise<void> {
  const body = {
    account_id: '123456789012',
    region: 'us-east-1',
    results: results.map((r) => ({
      column_info: r.columns.map((Name) => ({ Name, Label: Name, Type: 'varchar', CatalogName: 'hive', SchemaName: '', TableName: '', Precision: 0, Scale: 0, Nullable: 'UNKNOWN', CaseSensitive: true })),
      rows: [r.columns, ...r.rows].map((cells) => ({ Data: cells.map((v) => (v === null ? {} : { VarCharValue: v })) })),
    })),
  };
  const response = await fetch(`${moto.endpoint}/moto-api/static/athena/query-results`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  expect(response.status).toBe(201);
}

describeWithMoto('trailkit athena query against moto_server', () => {
  let moto: MotoServer;
  let athena: AthenaClient;
  const cli = async (args: string[]): Promise<CliResult> => {
    const run = startCli([...args, '--endpoint-url', moto.endpoint], motoEnv(moto));
    const status = await run.exited;
    return { status, stdout: run.output.stdout, stderr: run.output.stderr };
  };
  /** The SQL texts moto recorded, oldest first. */
  const recorded = async (): Promise<string[]> => {
    const ids = (await athena.send(new ListQueryExecutionsCommand({}))).QueryExecutionIds ?? [];
    const texts = await Promise.all(ids.map(async (id) => (await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution?.Query ?? ''));
    return texts;
  };

  beforeAll(async () => {
    moto = await startMoto();
    athena = new AthenaClient(motoClientConfig(moto));
  });
  afterAll(async () => {
    athena.destroy();
    await moto.stop();
  });
  beforeEach(async () => moto.reset());

  it('runs SQL through StartQueryExecution and prints the rows it gets back, in every format', async () => {
    await queueResults(moto, [{ columns: ['eventname', 'n'], rows: [['ConsoleLogin', '3'], ['GetObject', null]] }]);
    const r = await cli(['athena', 'query', 'SELECT eventname, count(*) AS n FROM cloudtrail_logs_pp GROUP BY 1', '--workgroup', 'primary', '--database', 'default', '--output-location', 's3://athena-results/trailkit/', '--output', 'json']);
    expect(r.stderr).toMatch(/trailkit: Athena query [0-9a-f-]+ \(result\): scanned \d+ B, estimated cost \$0\.0000\d+ \(at \$5 per TB, 10 MB minimum\)/);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([{ eventname: 'ConsoleLogin', n: '3' }, { eventname: 'GetObject', n: null }]);
    expect(await recorded()).toEqual(['SELECT eventname, count(*) AS n FROM cloudtrail_logs_pp GROUP BY 1']);
    await queueResults(moto, [{ columns: ['eventname', 'n'], rows: [['ConsoleLogin', '3']] }]);
    const csv = await cli(['athena', 'query', 'SELECT 1', '--output', 'csv']);
    expect(csv.stdout).toBe('eventname,n\r\nConsoleLogin,3\r\n');
  });

  it('compiles grep filters with partition predicates, and a named question to the SQL of the query model', async () => {
    await queueResults(moto, [{ columns: ['eventtime', 'principal', 'eventsource', 'eventname'], rows: [['2026-11-20T10:00:00Z', 'arn:aws:iam::111111111111:user/alice', 'iam.amazonaws.com', 'DeleteUser']] }]);
    const filters = await cli(['athena', 'query', '--table', 'cloudtrail_logs_pp', '--database', 'default', '--event-name', 'Delete*', '--since', '2026-11-20', '--until', '2026-11-21', '--output', 'json']);
    expect(filters.status, filters.stderr).toBe(0);
    const [filterSql] = await recorded();
    expect(filterSql).toContain(`"timestamp" >= '2026/11/19'`);
    expect(filterSql).toContain(`eventname LIKE 'Delete%' ESCAPE '\\'`);
    expect(JSON.parse(filters.stdout)).toMatchObject({ eventname: 'DeleteUser' });

    await moto.reset();
    await queueResults(moto, [{ columns: ['eventtime', 'principal'], rows: [] }]);
    const key = await cli(['athena', 'query', '--table', 'cloudtrail_logs_pp', '--access-key', 'AKIAIOSFODNN7EXAMPLE', '--since', '2026-11-20T00:00:00Z', '--until', '2026-11-20T23:59:59Z', '--show-sql']);
    expect(key.status).toBe(1);
    const expected = questionSql({ kind: 'access-key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE' }, { since: Date.UTC(2026, 10, 20), until: Date.UTC(2026, 10, 20, 23, 59, 59) }, { dialect: 'trino', table: 'cloudtrail', from: '"cloudtrail_logs_pp"', partitions: { kind: 'day', day: 'timestamp' } });
    expect(await recorded()).toEqual(expected.map((q) => q.sql));
    expect(key.stderr).toContain(expected[0]?.sql);
  });

  it('a timeline whose chain goes on past the hops asked (more is the text true in Athena\'s rows) is warned of, naming the flag', async () => {
    const alice = 'arn:aws:iam::111111111111:user/alice';
    const hop = (n: number) => `arn:aws:sts::111111111111:assumed-role/R${n}/s${n}`;
    await queueResults(moto, [
      { columns: ['depth', 'arn', 'more'], rows: [['0', alice, 'false'], ['1', hop(1), 'false'], ['2', hop(2), 'true']] },
      { columns: ['eventtime', 'principal', 'raw', 'depth'], rows: [] },
    ]);
    const r = await cli(['athena', 'query', '--table', 'cloudtrail_logs_pp', '--timeline', alice, '--chain-depth', '2', '--output', 'json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${alice}'s AssumeRole chain goes on past 2 hops from 1 identity at its ends (more = true), and those events are not in the timeline: ask again with --chain-depth 4`);
    const expected = questionSql({ kind: 'timeline', principal: alice, depth: 2 }, {}, { dialect: 'trino', table: 'cloudtrail', from: '"cloudtrail_logs_pp"', partitions: { kind: 'day', day: 'timestamp' } });
    expect(await recorded()).toEqual(expected.map((q) => q.sql));
    expect(expected[0]?.sql).toContain('down2 AS');
    expect(expected[0]?.sql).not.toContain('down3 AS');

    await moto.reset();
    await queueResults(moto, [
      { columns: ['depth', 'arn', 'more'], rows: [['0', alice, 'false'], ['1', hop(1), 'false']] },
      { columns: ['eventtime', 'principal', 'raw', 'depth'], rows: [] },
    ]);
    const whole = await cli(['athena', 'query', '--table', 'cloudtrail_logs_pp', '--timeline', alice, '--chain-depth', '2', '--output', 'json']);
    expect(whole.stderr).not.toContain('goes on past');
  });

  it('refuses what Athena cannot answer exactly, before any call', async () => {
    const regex = await cli(['athena', 'query', '--table', 't', '--pattern', '{ $.eventName = %Delete% }']);
    expect(regex.status).toBe(2);
    expect(regex.stderr).toMatch(/Athena's SQL cannot match these exactly/);
    const terms = await cli(['athena', 'query', '--table', 't', '--pattern', 'AccessDenied']);
    expect(terms.stderr).toMatch(/plain-text pattern/);
    const both = await cli(['athena', 'query', 'SELECT 1', '--errors']);
    expect(both.stderr).toMatch(/give SQL, grep filters or one question/);
    expect(await recorded()).toEqual([]);
  });

  it('on the Parquet index table, checks what SQL cannot match exactly on each row\'s record text, as grep would', async () => {
    const record = (id: string, name: string) => JSON.stringify({ eventVersion: '1.08', eventTime: '2026-11-20T10:00:00Z', eventSource: 'iam.amazonaws.com', eventName: name, awsRegion: 'us-east-1', recipientAccountId: '111111111111', eventID: id });
    // Athena's candidates: the regular expression is anchored, so only the first matches.
    await queueResults(moto, [{ columns: ['eventtime', 'principal', 'eventsource', 'eventname', 'awsregion', 'sourceipaddress', 'errorcode', 'raw'], rows: [
      ['2026-11-20T10:00:00Z', null, 'iam.amazonaws.com', 'DeleteUser', 'us-east-1', null, null, record('e1', 'DeleteUser')],
      ['2026-11-20T10:00:00Z', null, 'iam.amazonaws.com', 'UndeleteUser', 'us-east-1', null, null, record('e2', 'UnDeleteUser')],
    ] }]);
    const r = await cli(['athena', 'query', '--table', 'trailkit_index', '--layout', 'parquet', '--pattern', '{ $.eventName = %^Delete% }', '--account', '111111111111', '--since', '2026-11-20', '--until', '2026-11-21', '--output', 'json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${record('e1', 'DeleteUser')}\n`);
    const [sql] = await recorded();
    // Partitions pruned with a day of margin, the time filtered exactly.
    expect(sql).toContain(`"account" = '111111111111' AND "date" >= '2026-11-19' AND "date" <= '2026-11-22'`);
    expect(sql).toContain('event_ms >= ');
    expect(r.stderr).toMatch(/scanned .*, estimated cost \$/);
  });

  it('on the Parquet index table, checks even exact filters on the record text: a number read as text, a key there twice', async () => {
    const base = '"eventVersion":"1.08","eventTime":"2026-11-20T10:00:00Z","eventSource":"cloudtrail.amazonaws.com","awsRegion":"us-east-1","recipientAccountId":"111111111111"';
    const honest = `{${base},"eventName":"DeleteTrail","eventID":"e1"}`;
    const twice = `{${base},"eventName":"DeleteTrail","eventName":"GetTrail","eventID":"e2"}`;
    const number = `{${base},"eventName":5,"eventID":"e3"}`;
    // What Athena's columns say: DeleteTrail for the first two (a repeated key's first value), '5' for the third.
    await queueResults(moto, [{ columns: ['eventtime', 'principal', 'eventsource', 'eventname', 'awsregion', 'sourceipaddress', 'errorcode', 'raw'], rows: [
      ['2026-11-20T10:00:00Z', null, 'cloudtrail.amazonaws.com', 'DeleteTrail', 'us-east-1', null, null, honest],
      ['2026-11-20T10:00:00Z', null, 'cloudtrail.amazonaws.com', 'DeleteTrail', 'us-east-1', null, null, twice],
    ] }, { columns: ['eventtime', 'principal', 'eventsource', 'eventname', 'awsregion', 'sourceipaddress', 'errorcode', 'raw'], rows: [
      ['2026-11-20T10:00:00Z', null, 'cloudtrail.amazonaws.com', '5', 'us-east-1', null, null, number],
    ] }]);
    const deleted = await cli(['athena', 'query', '--table', 'trailkit_index', '--layout', 'parquet', '--event-name', 'DeleteTrail', '--account', '111111111111', '--output', 'json']);
    expect(deleted.status, deleted.stderr).toBe(0);
    expect(deleted.stdout).toBe(`${honest}\n`);
    const five = await cli(['athena', 'query', '--table', 'trailkit_index', '--layout', 'parquet', '--event-name', '5', '--account', '111111111111', '--output', 'json']);
    expect(five.stdout).toBe('');
    expect(five.status).toBe(1);
  });
});

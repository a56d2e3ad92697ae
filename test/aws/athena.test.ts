import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand, StopQueryExecutionCommand, type QueryExecutionState } from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { estimatedCost, runAthenaQuery } from '../../src/aws/athena.js';
import { TrailkitError } from '../../src/core/errors.js';

const athena = mockClient(AthenaClient);
const client = new AthenaClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
const noWait = { sleep: async () => undefined };

function awsError(name: string, message: string, status: number): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: status } });
}

const state = (State: QueryExecutionState, extra: Record<string, unknown> = {}) => ({ QueryExecution: { QueryExecutionId: 'q-1', Status: { State, ...extra }, Statistics: { DataScannedInBytes: 123_456_789 } } });
const header = { Data: [{ VarCharValue: 'eventname' }, { VarCharValue: 'n' }] };
const row = (name: string, n: string | undefined) => ({ Data: [{ VarCharValue: name }, n === undefined ? {} : { VarCharValue: n }] });
const meta = { ColumnInfo: [{ Name: 'eventname', Type: 'varchar' }, { Name: 'n', Type: 'bigint' }] };

async function collect(pages: AsyncIterable<{ columns: string[]; rows: (string | null)[][] }>) {
  const out: { columns: string[]; rows: (string | null)[][] }[] = [];
  for await (const p of pages) out.push(p);
  return out;
}

describe('runAthenaQuery', () => {
  beforeEach(() => athena.reset());

  it('starts the query with its workgroup, database and output location, polls until it succeeds, and pages the results', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena.on(GetQueryExecutionCommand).resolvesOnce(state('QUEUED')).resolvesOnce(state('RUNNING')).resolves(state('SUCCEEDED'));
    athena.on(GetQueryResultsCommand)
      .resolvesOnce({ ResultSet: { ResultSetMetadata: meta, Rows: [header, row('GetObject', '3')] }, NextToken: 't2' })
      .resolvesOnce({ ResultSet: { ResultSetMetadata: meta, Rows: [row('eventname', '1'), row('ListBuckets', undefined)] } });
    const states: string[] = [];
    const done = await runAthenaQuery(client, { sql: 'SELECT 1', workgroup: 'wg', database: 'db', outputLocation: 's3://r/x/' }, { ...noWait, onState: (s) => states.push(s) });
    expect(states).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED']);
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input).toEqual({ QueryString: 'SELECT 1', WorkGroup: 'wg', QueryExecutionContext: { Database: 'db' }, ResultConfiguration: { OutputLocation: 's3://r/x/' } });
    expect(done.scannedBytes).toBe(123_456_789);
    const pages = await collect(done.pages());
    // The header row of the first page goes; a data row that looks like it on a later page stays.
    expect(pages).toEqual([{ columns: ['eventname', 'n'], rows: [['GetObject', '3']] }, { columns: ['eventname', 'n'], rows: [['eventname', '1'], ['ListBuckets', null]] }]);
    expect(athena.commandCalls(GetQueryResultsCommand)[1]?.args[0].input).toMatchObject({ NextToken: 't2', QueryExecutionId: 'q-1' });
  });

  it("a FAILED query is an error with Athena's reason", async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena.on(GetQueryExecutionCommand).resolves(state('FAILED', { StateChangeReason: 'line 1:8: Column \'nope\' cannot be resolved', AthenaError: { ErrorCategory: 2, ErrorMessage: "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved" } }));
    const error = await runAthenaQuery(client, { sql: 'SELECT nope', workgroup: 'primary' }, noWait).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrailkitError);
    expect((error as TrailkitError).message).toBe("Athena query q-1 failed: COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved");
    expect((error as TrailkitError).hint).toMatch(/check the SQL/);
    expect((error as TrailkitError).exitCode).toBe(2);
  });

  it('a CANCELLED query is an error; one stopped by the signal sends StopQueryExecution and exits 130', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena.on(GetQueryExecutionCommand).resolves(state('CANCELLED', { StateChangeReason: 'cancelled by the workgroup limit' }));
    const cancelled = await runAthenaQuery(client, { sql: 'SELECT 1', workgroup: 'primary' }, noWait).then(() => new TrailkitError('test', 'no error'), (e: unknown) => e as TrailkitError);
    expect(cancelled.message).toMatch(/was cancelled: cancelled by the workgroup limit/);
    expect(athena.commandCalls(StopQueryExecutionCommand)).toHaveLength(0);

    athena.reset();
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena.on(StopQueryExecutionCommand).resolves({});
    athena.on(GetQueryExecutionCommand).resolvesOnce(state('RUNNING')).resolves(state('CANCELLED'));
    const controller = new AbortController();
    controller.abort();
    const stopped = await runAthenaQuery(client, { sql: 'SELECT 1', workgroup: 'primary' }, { ...noWait, signal: controller.signal }).then(() => new TrailkitError('test', 'no error'), (e: unknown) => e as TrailkitError);
    expect(athena.commandCalls(StopQueryExecutionCommand)[0]?.args[0].input).toEqual({ QueryExecutionId: 'q-1' });
    expect(stopped.message).toMatch(/cancelled \(interrupted\)/);
    expect(stopped.exitCode).toBe(130);
  });

  it('waits longer and polls again when Athena throttles, for the state and for the results', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena.on(GetQueryExecutionCommand)
      .rejectsOnce(awsError('TooManyRequestsException', 'Rate exceeded', 400))
      .rejectsOnce(awsError('ThrottlingException', 'Rate exceeded', 400))
      .resolves(state('SUCCEEDED'));
    athena.on(GetQueryResultsCommand).rejectsOnce(awsError('TooManyRequestsException', 'Rate exceeded', 400)).resolves({ ResultSet: { ResultSetMetadata: meta, Rows: [header, row('A', '1')] } });
    const delays: number[] = [];
    const done = await runAthenaQuery(client, { sql: 'SELECT 1', workgroup: 'primary' }, { sleep: async (ms) => { delays.push(ms); }, firstPollMs: 100 });
    expect(athena.commandCalls(GetQueryExecutionCommand)).toHaveLength(3);
    expect(delays.slice(0, 2)).toEqual([200, 400]);
    expect((await collect(done.pages()))[0]?.rows).toEqual([['A', '1']]);
  });

  it('maps an error of the call itself to one line naming the action', async () => {
    athena.on(StartQueryExecutionCommand).rejects(awsError('AccessDeniedException', 'User is not authorized to perform: athena:StartQueryExecution', 400));
    const error = await runAthenaQuery(client, { sql: 'SELECT 1', workgroup: 'primary' }, noWait).then(() => new TrailkitError('test', 'no error'), (e: unknown) => e as TrailkitError);
    expect(error).toBeInstanceOf(TrailkitError);
    expect(error.message).toMatch(/athena:StartQueryExecution/);
  });

  it('estimates the cost as Athena bills it: per TB, rounded up to the MB, 10 MB at least', () => {
    expect(estimatedCost(0, 5)).toBeCloseTo((10 / 1024 ** 2) * 5, 12);
    expect(estimatedCost(1024 ** 4, 5)).toBeCloseTo(5, 9);
    expect(estimatedCost(20 * 1024 ** 2 + 1, 5)).toBeCloseTo((21 / 1024 ** 2) * 5, 12);
  });
});

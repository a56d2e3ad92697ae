import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import {
  createLogGroup, createRole, downloadTrail, planTrailSetup, putEventSelectors, putInsightSelectors, putRolePolicy, searchEvents, setupTrail, TrailkitError, updateTrail, verifyAccount, verifyTrail,
  type JobOptions, type SetupStepResult,
} from '../../src/index.js';
import { describeWithMoto, motoClientConfig, motoEnv, startMoto, type MotoServer } from '../helpers/moto.js';

const ACCOUNT = '123456789012';

describeWithMoto('the library API against moto_server', () => {
  let moto: MotoServer;
  let s3: S3Client;
  let options: JobOptions;
  const dir = mkdtempSync(join(tmpdir(), 'trailkit-library-aws-'));

  beforeAll(async () => {
    moto = await startMoto();
    s3 = new S3Client(motoClientConfig(moto));
    const env = motoEnv(moto);
    options = { env, aws: { region: env['AWS_REGION'] as string, endpointUrl: moto.endpoint } };
    // The SDK reads credentials from the environment.
    for (const [k, v] of Object.entries(env)) process.env[k] = v;
  }, 60_000);
  afterAll(async () => {
    s3?.destroy();
    await moto?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await moto.reset();
  });

  it('plans a setup as data, applies it with a callback per step, then plans nothing to do; verify returns check results', async () => {
    const request = { settings: { trailName: 'main', bucket: 'ct-logs' } };
    const planned = await planTrailSetup(request, options);
    expect(planned.changed).toBe(false);
    expect(planned.dryRun).toBe(true);
    expect(planned.plan.steps.find((s) => s.id === 'bucket')?.action).toBe('create');
    expect(planned.plan.trailArn).toBe(`arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/main`);

    const steps: SetupStepResult[] = [];
    const asked: string[] = [];
    const applied = await setupTrail(request, { ...options, confirm: (plan) => { asked.push(plan.trailName); return true; }, onStep: (s) => { steps.push(s); } });
    expect(asked).toEqual(['main']);
    expect(applied.changed).toBe(true);
    expect(steps.map((s) => s.id)).toEqual(applied.plan.steps.filter((s) => s.operation !== undefined).map((s) => s.id));
    expect(steps.every((s) => s.action !== 'failed')).toBe(true);

    const again = await planTrailSetup(request, options);
    expect(again.plan.steps.every((s) => s.action === 'unchanged')).toBe(true);

    const verified = await verifyTrail({ trail: 'main', only: ['trail-exists', 'logging', 'log-file-validation'] }, options);
    expect(verified.subject).toBe(`arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/main`);
    expect(verified.checks.map((c) => [c.id, c.status])).toEqual([['trail-exists', 'pass'], ['logging', 'pass'], ['log-file-validation', 'pass']]);
    expect(verified.summary.failed).toBe(false);
  });

  it('a declined confirmation changes nothing and is a typed error', async () => {
    const error = await setupTrail({ settings: { trailName: 'main', bucket: 'ct-logs' } }, { ...options, confirm: () => false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrailkitError);
    expect((error as TrailkitError).code).toBe('aborted');
    const planned = await planTrailSetup({ settings: { trailName: 'main', bucket: 'ct-logs' } }, options);
    expect(planned.plan.steps.find((s) => s.id === 'bucket')?.action).toBe('create');
  });

  it('searches and downloads a bucket, reporting each object to a callback', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'trail-bucket' }));
    const key = `AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/2026/11/20/${ACCOUNT}_CloudTrail_us-east-1_20261120T0005Z_AbCdEfGhIjKlMnOp.json.gz`;
    const record = { eventVersion: '1.08', eventTime: '2026-11-20T00:01:00Z', eventName: 'DeleteTrail', eventSource: 'cloudtrail.amazonaws.com', eventID: 'b1', recipientAccountId: ACCOUNT, awsRegion: 'us-east-1' };
    await s3.send(new PutObjectCommand({ Bucket: 'trail-bucket', Key: key, Body: gzipSync(JSON.stringify({ Records: [record] })) }));
    const notices: string[] = [];
    const window = { since: Date.parse('2026-11-20T00:00:00Z'), until: Date.parse('2026-11-20T01:00:00Z') };
    const events = [];
    for await (const e of searchEvents({ source: { kind: 'bucket', bucket: 'trail-bucket' }, filter: { eventNames: ['DeleteTrail'], ...window } }, { ...options, onNotice: (m) => notices.push(m) })) events.push(e);
    expect(events.map((e) => [e.source, e.record.eventID])).toEqual([[`s3://trail-bucket/${key}`, 'b1']]);
    expect(notices[0]).toMatch(/^searching s3:\/\/trail-bucket\/ from 2026-11-20T00:00:00Z/);

    const seen: string[] = [];
    const summary = await downloadTrail({ bucket: 'trail-bucket', to: join(dir, 'mirror'), ...window }, { ...options, onObject: (o) => seen.push(`${o.status} ${o.key}`) });
    expect(seen).toEqual([`downloaded ${key}`]);
    expect(summary).toMatchObject({ bucket: 'trail-bucket', objects: 1, downloaded: 1, failed: 0 });
    expect(readdirSync(join(dir, 'mirror', `AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/2026/11/20`))).toEqual([key.split('/').pop()]);
    const second = await downloadTrail({ bucket: 'trail-bucket', to: join(dir, 'mirror'), ...window }, options);
    expect(second).toMatchObject({ downloaded: 0, skipped: 1 });
  });

  it('the AWS CLI workflow as functions: each says what it did, and a second call changes nothing', async () => {
    const group = await createLogGroup({ logGroupName: 'trail-logs', retentionInDays: 90 }, options);
    expect(group).toEqual({ action: 'create', logGroupName: 'trail-logs', logGroupArn: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:trail-logs:*`, retentionInDays: 90 });
    expect((await createLogGroup({ logGroupName: 'trail-logs', retentionInDays: 90 }, options)).action).toBe('unchanged');
    const role = await createRole({ roleName: 'ct-logs-role' }, options);
    expect(role.action).toBe('create');
    expect((await createRole({ roleName: 'ct-logs-role' }, options)).action).toBe('unchanged');
    const policy = await putRolePolicy({ roleName: 'ct-logs-role', logGroupName: 'trail-logs', policyName: 'ct-logs' }, options);
    expect(policy.action).toBe('create');
    expect(JSON.stringify(policy.policy)).toContain('logs:PutLogEvents');
    expect((await putRolePolicy({ roleName: 'ct-logs-role', logGroupName: 'trail-logs', policyName: 'ct-logs' }, options)).action).toBe('unchanged');

    await setupTrail({ settings: { trailName: 'main', bucket: 'ct-logs', cloudwatch: false } }, options);
    const updated = await updateTrail({ Name: 'main', IncludeGlobalServiceEvents: false, IsMultiRegionTrail: false }, options);
    expect(updated.action).toBe('update');
    expect(updated.changes.length).toBeGreaterThan(0);
    expect((await updateTrail({ Name: 'main', IncludeGlobalServiceEvents: false, IsMultiRegionTrail: false }, options)).action).toBe('unchanged');
    const selectors = await putEventSelectors({ trailName: 'main', selectors: { managementEvents: 'all' } }, options);
    expect(selectors.trailArn).toBe(`arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/main`);
    const insights = await putInsightSelectors({ trailName: 'main', insights: 'api-call-rate' }, options);
    expect(insights).toEqual({ action: 'update', trailArn: `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/main`, insightTypes: ['ApiCallRateInsight'] });
    // Checked before any call: a bad name is a typed usage error.
    const error = await createRole({ roleName: 'bad name!' }, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrailkitError);
    expect((error as TrailkitError).code).toBe('usage');
  });

  it('verifyAccount returns the account-wide check', async () => {
    const report = await verifyAccount({}, options);
    expect(report.subject).toBe(`account ${ACCOUNT}`);
    expect(report.checks.map((c) => c.id)).toEqual(['account-regions-covered']);
    expect(report.checks[0]?.status).toBe('fail');
    expect(report.summary.failed).toBe(true);
  });
});

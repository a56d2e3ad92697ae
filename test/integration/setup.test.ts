import { CloudTrailClient, GetEventSelectorsCommand, GetInsightSelectorsCommand, GetTrailCommand, GetTrailStatusCommand, ListTagsCommand } from '@aws-sdk/client-cloudtrail';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetRoleCommand, GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { DescribeKeyCommand, KMSClient, ListAliasesCommand, ListKeysCommand, ListResourceTagsCommand } from '@aws-sdk/client-kms';
import { CreateBucketCommand, GetBucketPolicyCommand, HeadBucketCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { cloudWatchRolePolicy } from '../../src/core/policies.js';
import { startCli } from '../helpers/cli.js';
import { cloudTrailOp, jsonError, startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { describeWithMoto, motoClientConfig, motoEnv, startMoto, type MotoServer } from '../helpers/moto.js';

const ACCOUNT = '123456789012';
const TRAIL_ARN = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/main`;

async function cli(args: string[], env: Record<string, string>) {
  const run = startCli(args, env);
  const status = await run.exited;
  return { status, stdout: run.output.stdout, stderr: run.output.stderr };
}

describeWithMoto('trail setup against moto_server', () => {
  let moto: MotoServer;
  let proxy: FaultProxy;
  let env: Record<string, string>;
  let viaProxy: Record<string, string>;
  let s3: S3Client;
  let ct: CloudTrailClient;
  let iam: IAMClient;
  let logs: CloudWatchLogsClient;
  let kms: KMSClient;
  const dir = mkdtempSync(join(tmpdir(), 'trailkit-setup-'));

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startFaultProxy(moto.endpoint);
    env = motoEnv(moto);
    viaProxy = { ...env, AWS_ENDPOINT_URL: proxy.endpoint };
    s3 = new S3Client(motoClientConfig(moto));
    ct = new CloudTrailClient(motoClientConfig(moto));
    iam = new IAMClient(motoClientConfig(moto));
    logs = new CloudWatchLogsClient(motoClientConfig(moto));
    kms = new KMSClient(motoClientConfig(moto));
  }, 60_000);
  afterAll(async () => {
    for (const c of [s3, ct, iam, logs, kms]) c?.destroy();
    await proxy?.stop();
    await moto?.stop();
  });
  beforeEach(async () => {
    proxy.clear();
    await moto.reset();
  });

  const setup = ['setup', '--trail-name', 'main', '--bucket', 'ct-logs', '--yes'];

  it('sets a trail up from nothing, in order, and ends logging with the next step', async () => {
    const r = await cli([...setup, '--insights', 'api-call-rate', '--tag', 'team=sec', '--s3-data-events', 'all', '--exclude-kms-events', '--retention-in-days', '90'], env);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const applied = [...r.stdout.matchAll(/^ {2}done {2}(\S+)/gm)].map((m) => m[1]);
    expect(applied).toEqual(['bucket', 'public-access-block', 'bucket-policy', 'kms-key', 'log-group', 'log-group-retention', 'role', 'role-policy', 'trail', 'event-selectors', 'insight-selectors', 'tags', 'logging']);
    expect(r.stdout).toContain('Next: trailkit verify --trail-name main');

    const trail = (await ct.send(new GetTrailCommand({ Name: 'main' }))).Trail;
    expect(trail).toMatchObject({ S3BucketName: 'ct-logs', IsMultiRegionTrail: true, LogFileValidationEnabled: true, CloudWatchLogsRoleArn: `arn:aws:iam::${ACCOUNT}:role/CloudTrail_CloudWatchLogs_Role` });
    expect((await ct.send(new GetTrailStatusCommand({ Name: 'main' }))).IsLogging).toBe(true);
    const selectors = await ct.send(new GetEventSelectorsCommand({ TrailName: 'main' }));
    expect(selectors.AdvancedEventSelectors?.map((s) => s.Name)).toEqual(['Management events', 'S3 data events']);
    expect((await ct.send(new GetInsightSelectorsCommand({ TrailName: 'main' }))).InsightSelectors).toEqual([{ InsightType: 'ApiCallRateInsight' }]);
    const policy = JSON.parse((await s3.send(new GetBucketPolicyCommand({ Bucket: 'ct-logs' }))).Policy ?? '{}') as { Statement: { Sid: string }[] };
    expect(policy.Statement.map((s) => s.Sid)).toEqual(['TrailkitCloudTrailAclCheck', 'TrailkitCloudTrailWrite', 'TrailkitDenyInsecureTransport']);
    // The console's default: SSE-KMS with a new key, which also encrypts the new log group. (moto
    // keeps the alias the trail was created with; AWS answers with the key's ARN.)
    expect(trail?.KmsKeyId).toBe('alias/trailkit/main');
    const keyArn = (await new KMSClient(motoClientConfig(moto)).send(new DescribeKeyCommand({ KeyId: 'alias/trailkit/main' }))).KeyMetadata?.Arn;
    expect(keyArn).toMatch(new RegExp(`^arn:aws:kms:us-east-1:${ACCOUNT}:key/`));
    const rolePolicy = await iam.send(new GetRolePolicyCommand({ RoleName: 'CloudTrail_CloudWatchLogs_Role', PolicyName: 'cloudtrail-policy' }));
    expect(JSON.parse(decodeURIComponent(rolePolicy.PolicyDocument ?? ''))).toEqual(cloudWatchRolePolicy({ region: 'us-east-1', account: ACCOUNT, logGroup: 'aws-cloudtrail-logs-main' }));
    const group = (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: 'aws-cloudtrail-logs-main' }))).logGroups?.[0];
    expect(group?.retentionInDays).toBe(90);
    expect(group?.kmsKeyId).toBe(keyArn);

    // Again: nothing to do, and it says so.
    const again = await cli([...setup, '--insights', 'api-call-rate', '--tag', 'team=sec', '--s3-data-events', 'all', '--exclude-kms-events', '--retention-in-days', '90', '--output', 'json'], env);
    expect(again.status).toBe(0);
    const out = JSON.parse(again.stdout) as { changed: boolean; steps: { action: string }[]; results: unknown[] };
    expect(out.changed).toBe(false);
    expect(out.results).toEqual([]);
    expect(out.steps.every((s) => s.action === 'unchanged')).toBe(true);
  }, 60_000);

  it('keeps an unrelated bucket policy statement byte for byte', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'ct-logs' }));
    const theirs = '{"Sid": "ReadForAuditors",   "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::ct-logs/audit/*"}';
    const original = `{"Version": "2012-10-17", "Statement": [${theirs}]}`;
    await s3.send(new PutBucketPolicyCommand({ Bucket: 'ct-logs', Policy: original }));
    const r = await cli([...setup, '--no-cloudwatch'], env);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/~ update\s+bucket-policy .*other statements kept/);
    const after = (await s3.send(new GetBucketPolicyCommand({ Bucket: 'ct-logs' }))).Policy ?? '';
    expect(after).toContain(theirs);
    expect(after.startsWith('{"Version": "2012-10-17", "Statement": [{"Sid": "ReadForAuditors"')).toBe(true);
    expect((JSON.parse(after) as { Statement: unknown[] }).Statement).toHaveLength(4);
  }, 60_000);

  it('--dry-run prints the plan and changes nothing', async () => {
    const r = await cli(['setup', '--trail-name', 'main', '--bucket', 'ct-logs', '--dry-run'], env);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\+ create\s+bucket\s+s3:\/\/ct-logs/);
    expect(r.stdout).toContain('Dry run: nothing was changed.');
    await expect(s3.send(new HeadBucketCommand({ Bucket: 'ct-logs' }))).rejects.toThrow();
    await expect(ct.send(new GetTrailCommand({ Name: 'main' }))).rejects.toThrow(/Unknown trail|not found/i);
  }, 60_000);

  it('refuses to apply without --yes when stdin is not a terminal, changing nothing', async () => {
    const r = await cli(['setup', '--trail-name', 'main', '--bucket', 'ct-logs'], env);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/refusing to apply without --yes/);
    await expect(s3.send(new HeadBucketCommand({ Bucket: 'ct-logs' }))).rejects.toThrow();
  }, 60_000);

  it('a --kms-key that does not exist: one line, exit 2, nothing created', async () => {
    const r = await cli([...setup, '--kms-key', 'alias/does-not-exist'], env);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('trailkit: KMS key alias/does-not-exist not found in us-east-1 (give an existing key ARN or alias in the trail\'s region, or use --create-kms-key)\n');
    await expect(s3.send(new HeadBucketCommand({ Bucket: 'ct-logs' }))).rejects.toThrow();
  }, 60_000);

  it('KMS and SNS: creates the key and topic, and a re-run changes nothing', async () => {
    const args = [...setup, '--create-kms-key', '--sns-topic', 'ct-deliveries', '--single-region'];
    const r = await cli(args, env);
    expect(r.status).toBe(0);
    const trail = (await ct.send(new GetTrailCommand({ Name: 'main' }))).Trail;
    expect(trail?.KmsKeyId).toBeDefined();
    expect(trail?.SnsTopicName).toBe('ct-deliveries');
    expect(trail?.IsMultiRegionTrail).toBe(false);
    const again = await cli(args, env);
    expect(again.stdout).toContain('0 to create, 0 to update');
  }, 60_000);

  it('--create-kms-key: a run that stops between CreateKey and CreateAlias is finished by the next, with no second key', async () => {
    const fault = proxy.add({ match: (q) => q.operation === 'TrentService.CreateAlias', status: 400, times: 1, body: jsonError('AccessDeniedException', 'User is not authorized to perform: kms:CreateAlias') });
    const args = [...setup, '--create-kms-key', '--no-cloudwatch'];
    const r = await cli(args, viaProxy);
    expect(r.status).toBe(2);
    expect(fault.hits).toBe(1);
    expect(r.stderr).toMatch(/^trailkit: setup stopped at kms-key: kms:CreateAlias on alias\/trailkit\/main/);
    const first = (await kms.send(new ListKeysCommand({}))).Keys ?? [];
    expect(first).toHaveLength(1);
    expect((await kms.send(new ListResourceTagsCommand({ KeyId: first[0]?.KeyId }))).Tags).toContainEqual({ TagKey: 'trailkit:trail', TagValue: 'main' });

    const rerun = await cli(args, viaProxy);
    expect(rerun.stderr).toBe('');
    expect(rerun.status).toBe(0);
    expect(rerun.stdout).toMatch(/done {2}kms-key +aliased the key an earlier run created/);
    const keys = (await kms.send(new ListKeysCommand({}))).Keys ?? [];
    expect(keys.map((k) => k.KeyArn)).toEqual(first.map((k) => k.KeyArn));
    const alias = (await kms.send(new ListAliasesCommand({}))).Aliases?.find((a) => a.AliasName === 'alias/trailkit/main');
    expect(alias?.TargetKeyId).toBe(first[0]?.KeyId);
    expect((await ct.send(new GetTrailCommand({ Name: 'main' }))).Trail?.KmsKeyId).toBe('alias/trailkit/main');
    expect((await cli(args, env)).stdout).toContain('0 to create, 0 to update');
  }, 60_000);

  it('the mirrored subcommands outside the trail\'s home region: one line naming the region to use', async () => {
    // Outside its home region, AWS's GetTrail shows a multi-region trail as a shadow with its HomeRegion.
    const shadow = proxy.add({
      match: cloudTrailOp('GetTrail'), status: 200, times: Infinity,
      body: JSON.stringify({ Trail: { Name: 'main', TrailARN: TRAIL_ARN, HomeRegion: 'us-east-1', IsMultiRegionTrail: true, S3BucketName: 'ct-logs' } }),
    });
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/CloudTrail_CloudWatchLogs_Role`;
    const commands: [string, string[]][] = [
      ['put-event-selectors', ['put-event-selectors', '--trail-name', 'main', '--management-events', 'all']],
      ['put-insight-selectors', ['put-insight-selectors', '--trail-name', 'main', '--insights', 'api-call-rate']],
      ['update-trail', ['update-trail', '--name', 'main', '--cloud-watch-logs-log-group-arn', `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:g:*`, '--cloud-watch-logs-role-arn', roleArn]],
      ['update-trail', ['update-trail', '--name', 'main', '--no-enable-log-file-validation']],
      ['setup', [...setup, '--no-cloudwatch']],
    ];
    for (const [command, args] of commands) {
      const r = await cli([...args, '--region', 'eu-west-1'], viaProxy);
      expect(r.stderr).toBe(`trailkit: trail main belongs to us-east-1, not eu-west-1 (run ${command} with --region us-east-1)\n`);
      expect(r.status).toBe(2);
    }
    expect(shadow.hits).toBe(commands.length);
  }, 60_000);

  it('--insights on a trail that records no write management events: refused before any change', async () => {
    expect((await cli([...setup, '--no-cloudwatch'], env)).status).toBe(0);
    expect((await cli(['put-event-selectors', '--trail-name', 'main', '--management-events', 'read'], env)).status).toBe(0);
    const r = await cli([...setup, '--no-cloudwatch', '--insights', 'api-call-rate', '--tag', 'team=sec'], env);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('trailkit: --insights needs write management events, but the event selectors of trail main do not record them (add --management-events all (or write) to the same command)\n');
    expect(r.stdout).toBe('');
    expect((await ct.send(new ListTagsCommand({ ResourceIdList: [TRAIL_ARN] }))).ResourceTagList?.[0]?.TagsList ?? []).toEqual([]);
  }, 60_000);

  it('AccessDenied on PutBucketPolicy stops before CreateTrail; a re-run finishes the job', async () => {
    const fault = proxy.add({
      match: (q) => q.method === 'PUT' && /[?&]policy(=|&|$)/.test(q.url),
      status: 403, contentType: 'application/xml', times: Infinity,
      body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>x</RequestId></Error>',
    });
    const r = await cli(setup, viaProxy);
    expect(r.status).toBe(2);
    expect(fault.hits).toBeGreaterThan(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/setup stopped at bucket-policy: s3:PutBucketPolicy on s3:\/\/ct-logs: access denied \(2 of 9 changes were applied; the caller needs the IAM permission s3:PutBucketPolicy; fix the cause and run the same command again to finish\)$/);
    await s3.send(new HeadBucketCommand({ Bucket: 'ct-logs' }));
    await expect(ct.send(new GetTrailCommand({ Name: 'main' }))).rejects.toThrow(/Unknown trail|not found/i);

    proxy.clear();
    const rerun = await cli(setup, viaProxy);
    expect(rerun.status).toBe(0);
    expect(rerun.stdout).toMatch(/= unchanged bucket /);
    expect(rerun.stdout).toMatch(/\+ create\s+bucket-policy/);
    expect((await ct.send(new GetTrailStatusCommand({ Name: 'main' }))).IsLogging).toBe(true);
  }, 60_000);

  it('rides out a ThrottlingException burst and a 5xx burst with retries', async () => {
    const throttle = proxy.add({ match: cloudTrailOp('CreateTrail'), status: 400, times: 3, body: jsonError('ThrottlingException', 'Rate exceeded') });
    const fiveHundred = proxy.add({ match: cloudTrailOp('StartLogging'), status: 503, times: 2, body: jsonError('ServiceUnavailableException', 'try again') });
    const r = await cli(setup, viaProxy);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(throttle.hits).toBe(3);
    expect(fiveHundred.hits).toBe(2);
    expect((await ct.send(new GetTrailStatusCommand({ Name: 'main' }))).IsLogging).toBe(true);
  }, 60_000);

  it('a 5xx that does not go away fails the step; the re-run completes only what is left', async () => {
    const fault = proxy.add({ match: cloudTrailOp('StartLogging'), status: 500, times: Infinity, body: jsonError('InternalFailure', 'boom') });
    const r = await cli(setup, viaProxy);
    expect(r.status).toBe(2);
    expect(fault.hits).toBe(8);
    expect(r.stderr).toMatch(/^trailkit: setup stopped at logging: cloudtrail:StartLogging on main: AWS answered InternalFailure/);
    proxy.clear();
    const rerun = await cli([...setup, '--output', 'json'], viaProxy);
    expect(rerun.status).toBe(0);
    const out = JSON.parse(rerun.stdout) as { results: { id: string }[] };
    expect(out.results.map((x) => x.id)).toEqual(['logging']);
  }, 90_000);

  it('retries CreateTrail while the new role propagates, and says so', async () => {
    const fault = proxy.add({ match: cloudTrailOp('CreateTrail'), status: 400, times: 1, body: jsonError('InvalidCloudWatchLogsRoleArnException', 'Access denied. Verify in IAM that the role has adequate permissions.') });
    const r = await cli(setup, viaProxy);
    expect(r.status).toBe(0);
    expect(fault.hits).toBe(1);
    expect(r.stderr).toMatch(/warning: CloudTrail cannot use the CloudWatch Logs role yet \(IAM changes take a while to propagate\): retrying in 2 s/);
  }, 60_000);

  it('--config YAML with flags overriding it', async () => {
    const config = join(dir, 'trailkit.yaml');
    writeFileSync(config, 'trail-name: main\nbucket: from-config\nsingle-region: true\nmanagement-events: write\ntags:\n  team: sec\n');
    const r = await cli(['setup', '--config', config, '--bucket', 'ct-logs', '--yes', '--output', 'json'], env);
    expect(r.status).toBe(0);
    const trail = (await ct.send(new GetTrailCommand({ Name: 'main' }))).Trail;
    expect(trail).toMatchObject({ S3BucketName: 'ct-logs', IsMultiRegionTrail: false });
    const selectors = await ct.send(new GetEventSelectorsCommand({ TrailName: 'main' }));
    expect(selectors.AdvancedEventSelectors?.[0]?.Name).toBe('Management events (write only)');
  }, 60_000);

  it('the mirrored subcommands, each idempotent', async () => {
    const lg = await cli(['create-log-group', '--log-group-name', 'ct-group', '--retention-in-days', '30'], env);
    expect(lg.status).toBe(0);
    expect(lg.stdout).toBe(`created\tarn:aws:logs:us-east-1:${ACCOUNT}:log-group:ct-group:*\n`);
    expect((await cli(['create-log-group', '--log-group-name', 'ct-group', '--retention-in-days', '30'], env)).stdout).toMatch(/^unchanged\t/);

    const role = await cli(['create-role', '--trail-arn', TRAIL_ARN, '--output', 'json'], env);
    expect(JSON.parse(role.stdout)).toEqual({ action: 'create', roleName: 'CloudTrail_CloudWatchLogs_Role', roleArn: `arn:aws:iam::${ACCOUNT}:role/CloudTrail_CloudWatchLogs_Role` });
    const trust = (await iam.send(new GetRoleCommand({ RoleName: 'CloudTrail_CloudWatchLogs_Role' }))).Role?.AssumeRolePolicyDocument ?? '';
    expect(JSON.parse(decodeURIComponent(trust))).toEqual({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceArn': TRAIL_ARN } } }] });
    expect((await cli(['create-role', '--trail-arn', TRAIL_ARN], env)).stdout).toMatch(/^unchanged\t/);

    const rp = await cli(['put-role-policy', '--role-name', 'CloudTrail_CloudWatchLogs_Role', '--log-group-name', 'ct-group', '--organization-id', 'o-abcdefghij'], env);
    expect(rp.stdout).toBe('created\tCloudTrail_CloudWatchLogs_Role/cloudtrail-policy\n');
    const doc = (await iam.send(new GetRolePolicyCommand({ RoleName: 'CloudTrail_CloudWatchLogs_Role', PolicyName: 'cloudtrail-policy' }))).PolicyDocument ?? '';
    expect(JSON.parse(decodeURIComponent(doc))).toEqual(cloudWatchRolePolicy({ region: 'us-east-1', account: ACCOUNT, logGroup: 'ct-group', organizationId: 'o-abcdefghij' }));
    expect((await cli(['put-role-policy', '--log-group-name', 'ct-group', '--organization-id', 'o-abcdefghij'], env)).stdout).toMatch(/^unchanged\t/);

    expect((await cli(['setup', '--trail-name', 'main', '--bucket', 'ct-logs', '--no-cloudwatch', '--yes'], env)).status).toBe(0);
    const group = `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:ct-group:*`;
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/CloudTrail_CloudWatchLogs_Role`;
    const ut = await cli(['update-trail', '--name', 'main', '--cloud-watch-logs-log-group-arn', group, '--cloud-watch-logs-role-arn', roleArn, '--no-enable-log-file-validation'], env);
    expect(ut.status).toBe(0);
    // update-trail says what it changed (issue 12: it used to say "updated" whatever happened).
    expect(ut.stdout).toBe(`updated\t${TRAIL_ARN}\tEnableLogFileValidation true -> false, CloudWatchLogsLogGroupArn (none) -> ${group}, CloudWatchLogsRoleArn (none) -> ${roleArn}\n`);
    expect((await ct.send(new GetTrailCommand({ Name: 'main' }))).Trail).toMatchObject({ CloudWatchLogsLogGroupArn: group, CloudWatchLogsRoleArn: roleArn, LogFileValidationEnabled: false, IsMultiRegionTrail: true });
    const again = await cli(['update-trail', '--name', 'main', '--cloud-watch-logs-log-group-arn', group.replace(/:\*$/, ''), '--cloud-watch-logs-role-arn', roleArn, '--no-enable-log-file-validation', '--is-multi-region-trail'], env);
    expect(again.stdout).toBe(`unchanged\t${TRAIL_ARN}\n`);
    const json = await cli(['update-trail', '--name', 'main', '--enable-log-file-validation', '--output', 'json'], env);
    expect(JSON.parse(json.stdout)).toMatchObject({ action: 'update', changes: [{ setting: 'EnableLogFileValidation', from: false, to: true }] });

    const es = await cli(['put-event-selectors', '--trail-name', 'main', '--lambda-data-events', `arn:aws:lambda:us-east-1:${ACCOUNT}:function:fn`, '--management-events', 'write'], env);
    expect(es.stdout).toBe(`updated\t${TRAIL_ARN}\t2 advanced selector(s)\n`);
    const sel = await ct.send(new GetEventSelectorsCommand({ TrailName: 'main' }));
    expect(sel.AdvancedEventSelectors?.[1]?.FieldSelectors).toEqual([
      { Field: 'eventCategory', Equals: ['Data'] }, { Field: 'resources.type', Equals: ['AWS::Lambda::Function'] }, { Field: 'resources.ARN', Equals: [`arn:aws:lambda:us-east-1:${ACCOUNT}:function:fn`] },
    ]);
    const selectorsFile = join(dir, 'basic.json');
    writeFileSync(selectorsFile, JSON.stringify([{ ReadWriteType: 'All', IncludeManagementEvents: true }]));
    expect((await cli(['put-event-selectors', '--trail-name', 'main', '--event-selectors', `file://${selectorsFile}`], env)).status).toBe(0);
    expect((await ct.send(new GetEventSelectorsCommand({ TrailName: 'main' }))).EventSelectors?.[0]?.ReadWriteType).toBe('All');

    const ins = await cli(['put-insight-selectors', '--trail-name', 'main', '--insights', 'api-call-rate,api-error-rate'], env);
    expect(ins.stdout).toBe(`updated\t${TRAIL_ARN}\tApiCallRateInsight, ApiErrorRateInsight\n`);
    expect((await cli(['put-insight-selectors', '--trail-name', 'main', '--insights', 'api-error-rate,api-call-rate'], env)).stdout).toMatch(/^unchanged\t/);
  }, 90_000);
});

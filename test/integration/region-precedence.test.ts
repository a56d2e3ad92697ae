import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, DescribeLogGroupsCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CloudTrailClient, CreateTrailCommand } from '@aws-sdk/client-cloudtrail';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { jsonLines, startCli, type CliResult } from '../helpers/cli.js';
import { describeWithMoto, motoClientConfig, startMoto, type MotoServer } from '../helpers/moto.js';

// The region a command called is read from what it did: the log group ARN create-log-group prints,
// the region setup plans in, where moto holds what was read. Profiles carry their own credentials
// (with a profile named, the SDK does not read AWS_ACCESS_KEY_ID).
describeWithMoto('--region, --profile and --endpoint-url: a flag beats the environment, which beats the profile, before or after the command', () => {
  let moto: MotoServer;
  let dir: string;
  let config: string;
  const creds = 'aws_access_key_id = testing\naws_secret_access_key = testing\n';

  beforeAll(async () => {
    moto = await startMoto();
    dir = mkdtempSync(join(tmpdir(), 'trailkit-precedence-'));
    config = join(dir, 'config');
    writeFileSync(config, `[default]\nregion = ca-central-1\n${creds}[profile west]\nregion = us-west-2\n${creds}[profile euro]\nregion = eu-west-1\n${creds}`);
  }, 60_000);
  afterAll(async () => {
    await moto?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** No AWS_REGION, AWS_PROFILE or credentials in the environment unless the case sets them. */
  function env(extra: Record<string, string> = {}): Record<string, string | undefined> {
    const unset = { AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined, AWS_PROFILE: undefined, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_SESSION_TOKEN: undefined };
    return { ...unset, AWS_ENDPOINT_URL: moto.endpoint, AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true', ...extra };
  }

  async function cli(args: string[], e: Record<string, string | undefined>): Promise<CliResult> {
    const run = startCli(args, e);
    const status = await run.exited;
    return { status, stdout: run.output.stdout, stderr: run.output.stderr };
  }

  /** The region of the log group create-log-group made (its printed ARN). */
  async function regionCalled(args: string[], e: Record<string, string | undefined>, name: string): Promise<string> {
    const r = await cli(args.map((a) => (a === 'NAME' ? name : a)), e);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return /^created\tarn:aws:logs:([a-z0-9-]+):/.exec(r.stdout)?.[1] ?? `unexpected: ${r.stdout}`;
  }

  it.each([
    ['the profile\'s config when nothing else is set', [], {}, 'ca-central-1'],
    ['AWS_REGION over the profile', [], { AWS_REGION: 'us-east-2' }, 'us-east-2'],
    ['--region after the command over AWS_REGION', ['--region', 'us-west-1'], { AWS_REGION: 'us-east-2' }, 'us-west-1'],
    ['--region before the command over AWS_REGION', ['BEFORE', '--region', 'us-west-1'], { AWS_REGION: 'us-east-2' }, 'us-west-1'],
    ['AWS_PROFILE\'s region', [], { AWS_PROFILE: 'euro' }, 'eu-west-1'],
    ['--profile before the command over AWS_PROFILE', ['BEFORE', '--profile', 'west'], { AWS_PROFILE: 'euro' }, 'us-west-2'],
    ['--profile after the command over AWS_PROFILE', ['--profile', 'west'], { AWS_PROFILE: 'euro' }, 'us-west-2'],
    ['AWS_REGION over the region of --profile', ['--profile', 'west'], { AWS_REGION: 'us-east-2' }, 'us-east-2'],
    ['--region over AWS_REGION and --profile', ['BEFORE', '--region', 'ap-south-1', '--profile', 'west'], { AWS_REGION: 'us-east-2', AWS_PROFILE: 'euro' }, 'ap-south-1'],
  ] as [string, string[], Record<string, string>, string][])('%s', async (_name, flags, extra, expected) => {
    const before = flags[0] === 'BEFORE' ? flags.slice(1) : [];
    const after = flags[0] === 'BEFORE' ? [] : flags;
    const name = `g-${Math.random().toString(36).slice(2, 10)}`;
    expect(await regionCalled([...before, 'create-log-group', '--log-group-name', 'NAME', ...after], env(extra), name)).toBe(expected);
    // And moto holds the group in that region only.
    const logs = new CloudWatchLogsClient(motoClientConfig(moto, expected));
    try {
      expect((await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }))).logGroups?.map((g) => g.logGroupName)).toEqual([name]);
    } finally {
      logs.destroy();
    }
  });

  it('--endpoint-url before the command beats AWS_ENDPOINT_URL', async () => {
    const e = env({ AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' });
    const r = await cli(['--endpoint-url', moto.endpoint, 'create-log-group', '--log-group-name', 'endpoint-flag'], e);
    expect(r.stdout).toMatch(/^created\tarn:aws:logs:us-east-1:/);
    const refused = await cli(['create-log-group', '--log-group-name', 'endpoint-env'], e);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/^trailkit: .*connection refused/);
  });

  it('setup plans in the region of --region typed before the command, not AWS_REGION', async () => {
    const r = await cli(['--region', 'us-west-2', 'setup', '--trail-name', 'west-trail', '--bucket', 'west-trail-logs', '--dry-run'], env({ AWS_REGION: 'us-east-1', AWS_PROFILE: 'euro' }));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Plan for trail west-trail \(arn:aws:cloudtrail:us-west-2:\d{12}:trail\/west-trail\) in us-west-2, account \d{12}:/);
  });

  it('grep --log-group ARN calls the ARN\'s region; a name is looked up in the region to call', async () => {
    const logs = new CloudWatchLogsClient(motoClientConfig(moto, 'us-west-2'));
    const now = Date.now();
    const record = { eventVersion: '1.09', eventTime: new Date(now - 60_000).toISOString(), eventSource: 'iam.amazonaws.com', eventName: 'CreateUser', awsRegion: 'us-west-2', eventID: 'west-1', recipientAccountId: '123456789012' };
    try {
      await logs.send(new CreateLogGroupCommand({ logGroupName: 'west-group' }));
      await logs.send(new CreateLogStreamCommand({ logGroupName: 'west-group', logStreamName: '123456789012_CloudTrail_us-west-2' }));
      await logs.send(new PutLogEventsCommand({ logGroupName: 'west-group', logStreamName: '123456789012_CloudTrail_us-west-2', logEvents: [{ timestamp: now - 60_000, message: JSON.stringify(record) }] }));
    } finally {
      logs.destroy();
    }
    const e = env({ AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
    const byArn = await cli(['grep', '--log-group', 'arn:aws:logs:us-west-2:123456789012:log-group:west-group:*'], e);
    expect(byArn.status).toBe(0);
    expect(jsonLines(byArn.stdout).map((x) => x['eventID'])).toEqual(['west-1']);
    expect(byArn.stderr).toMatch(/searching log group west-group in us-west-2/);
    const byName = await cli(['--region', 'us-west-2', 'grep', '--log-group', 'west-group'], e);
    expect(jsonLines(byName.stdout).map((x) => x['eventID'])).toEqual(['west-1']);
    const wrongRegion = await cli(['grep', '--log-group', 'west-group'], e);
    expect(wrongRegion.status).toBe(2);
    expect(wrongRegion.stderr.trim().split('\n').at(-1)).toMatch(/^trailkit: log group west-group does not exist in this region/);
  });

  it('validate-digest: --profile before the command picks the profile (GetTrail by name in its region), --region the source regions', async () => {
    const ct = new CloudTrailClient(motoClientConfig(moto, 'us-west-2'));
    const s3 = new S3Client(motoClientConfig(moto, 'us-west-2'));
    try {
      await s3.send(new CreateBucketCommand({ Bucket: 'vd-west-logs', CreateBucketConfiguration: { LocationConstraint: 'us-west-2' } }));
      await ct.send(new CreateTrailCommand({ Name: 'vd-west', S3BucketName: 'vd-west-logs' }));
    } finally {
      ct.destroy();
      s3.destroy();
    }
    const e = env({ AWS_PROFILE: 'euro' });
    const keys = join(dir, 'keys.json');
    writeFileSync(keys, '{"PublicKeyList":[]}');
    const r = await cli(['--profile', 'west', '--region', 'eu-central-1', 'validate-digest', '--trail', 'vd-west', '--public-keys', keys, '--output', 'json'], e);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as { trailArn: string; locations: { bucket: string; region: string }[] };
    expect(report.trailArn).toMatch(/^arn:aws:cloudtrail:us-west-2:\d{12}:trail\/vd-west$/);
    expect(report.locations.map((l) => [l.bucket, l.region])).toEqual([['vd-west-logs', 'eu-central-1']]);
    // Without the flag, AWS_PROFILE's region (eu-west-1) does not hold the single-region trail.
    const missing = await cli(['validate-digest', '--trail', 'vd-west'], e);
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim().split('\n').at(-1)).toMatch(/^trailkit: trail vd-west: not found in this account/);
  });
});

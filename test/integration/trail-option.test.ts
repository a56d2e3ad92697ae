import { CloudTrailClient, CreateTrailCommand } from '@aws-sdk/client-cloudtrail';
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateArchive } from '../../fixtures/generate.mjs';
import { jsonLines, startCli, type CliResult } from '../helpers/cli.js';
import { describeWithMoto, motoClientConfig, motoEnv, startMoto, type MotoServer } from '../helpers/moto.js';

interface Ev { eventID: string; eventTime: string }

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(full));
    else if (!e.name.startsWith('.')) out.push(full);
  }
  return out.sort();
}

const WINDOW = ['--since', '2026-11-19T22:00:00Z', '--until', '2026-11-20T02:00:00Z'];

describeWithMoto('--trail NAME|ARN: the bucket, prefix, organization and log group come from the trail', () => {
  let moto: MotoServer;
  let work: string;
  let account: string;
  let orgId: string;
  const auditEvents: Ev[] = [];
  const orgEvents: Ev[] = [];
  const decoyEvents: Ev[] = [];

  const cli = async (args: string[], extra: Record<string, string> = {}): Promise<CliResult> => {
    const run = startCli(args, { ...motoEnv(moto), ...extra });
    const status = await run.exited;
    return { status, stdout: run.output.stdout, stderr: run.output.stderr };
  };

  async function upload(s3: S3Client, bucket: string, dir: string, into: Ev[]): Promise<void> {
    for (const file of walk(dir)) {
      into.push(...(JSON.parse(gunzipSync(readFileSync(file)).toString()) as { Records: Ev[] }).Records);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: relative(dir, file), Body: readFileSync(file) }));
    }
  }

  beforeAll(async () => {
    moto = await startMoto();
    work = mkdtempSync(join(tmpdir(), 'trailkit-trail-'));
    const s3 = new S3Client(motoClientConfig(moto));
    const ct = new CloudTrailClient(motoClientConfig(moto));
    const ctWest = new CloudTrailClient(motoClientConfig(moto, 'us-west-2'));
    const logs = new CloudWatchLogsClient(motoClientConfig(moto));
    const orgs = new OrganizationsClient(motoClientConfig(moto));
    try {
      const org = (await orgs.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }))).Organization;
      orgId = org?.Id ?? '';
      account = org?.MasterAccountId ?? '';
      const common = { seed: 11, accounts: [account], regions: ['us-east-1', 'eu-west-1'], start: '2026-11-19T22:00:00Z', hours: 3, filesPerHour: 2, eventsPerFile: [5, 10], insights: false, hostile: false, marker: false };
      generateArchive({ ...common, out: join(work, 'audit'), prefix: 'audit' });
      generateArchive({ ...common, seed: 12, out: join(work, 'org'), prefix: 'org', orgId });
      // Another organization's folder beside it: --trail reads only the trail's organization.
      generateArchive({ ...common, seed: 13, out: join(work, 'decoy'), prefix: 'org', orgId: 'o-zzzzzzzzzz' });
      for (const bucket of ['audit-logs', 'org-logs']) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await upload(s3, 'audit-logs', join(work, 'audit'), auditEvents);
      await upload(s3, 'org-logs', join(work, 'org'), orgEvents);
      await upload(s3, 'org-logs', join(work, 'decoy'), decoyEvents);

      const groupArn = `arn:aws:logs:us-east-1:${account}:log-group:audit-group:*`;
      await logs.send(new CreateLogGroupCommand({ logGroupName: 'audit-group' }));
      await logs.send(new CreateLogStreamCommand({ logGroupName: 'audit-group', logStreamName: `${account}_CloudTrail_us-east-1` }));
      const now = Date.now();
      const live = { eventVersion: '1.09', eventTime: new Date(now - 120_000).toISOString(), eventSource: 'iam.amazonaws.com', eventName: 'CreateAccessKey', awsRegion: 'us-east-1', eventID: 'from-the-log-group', recipientAccountId: account };
      await logs.send(new PutLogEventsCommand({ logGroupName: 'audit-group', logStreamName: `${account}_CloudTrail_us-east-1`, logEvents: [{ timestamp: now - 120_000, message: JSON.stringify(live) }] }));
      const role = `arn:aws:iam::${account}:role/CloudTrail_CloudWatchLogs_Role`;
      await ct.send(new CreateTrailCommand({ Name: 'audit-trail', S3BucketName: 'audit-logs', S3KeyPrefix: 'audit', CloudWatchLogsLogGroupArn: groupArn, CloudWatchLogsRoleArn: role }));
      await ct.send(new CreateTrailCommand({ Name: 'org-trail', S3BucketName: 'org-logs', S3KeyPrefix: 'org', IsOrganizationTrail: true, IsMultiRegionTrail: true }));
      // A multi-region trail whose home is another region than the one called.
      await ctWest.send(new CreateTrailCommand({ Name: 'west-trail', S3BucketName: 'audit-logs', S3KeyPrefix: 'audit', IsMultiRegionTrail: true }));
    } finally {
      for (const c of [s3, ct, ctWest, logs, orgs]) c.destroy();
    }
  }, 180_000);

  afterAll(async () => {
    await moto?.stop();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  const ids = (r: CliResult) => jsonLines(r.stdout).map((e) => e['eventID']);
  const inWindow = (events: Ev[]) => events.filter((e) => e.eventTime >= '2026-11-19T22:00:00Z' && e.eventTime <= '2026-11-20T02:00:00Z');

  it('grep --trail NAME reads the same events as --bucket with the trail\'s prefix', async () => {
    const byTrail = await cli(['grep', '--trail', 'audit-trail', ...WINDOW]);
    const byBucket = await cli(['grep', '--bucket', 'audit-logs', '--prefix', 'audit', ...WINDOW]);
    expect(byTrail.status).toBe(0);
    expect(byTrail.stdout).toBe(byBucket.stdout);
    expect(new Set(ids(byTrail))).toEqual(new Set(inWindow(auditEvents).map((e) => e.eventID)));
    expect(byTrail.stderr).toMatch(/^trailkit: searching s3:\/\/audit-logs\/audit\/ from /);
  });

  it('grep --trail ARN, and a name whose trail lives in another region (found through ListTrails)', async () => {
    const byArn = await cli(['grep', '--trail', `arn:aws:cloudtrail:us-east-1:${account}:trail/audit-trail`, ...WINDOW, '--count']);
    expect(Number(byArn.stdout)).toBe(inWindow(auditEvents).length);
    const west = await cli(['grep', '--trail', 'west-trail', ...WINDOW, '--count', '--debug']);
    expect(west.status).toBe(0);
    expect(Number(west.stdout)).toBe(inWindow(auditEvents).length);
    expect(west.stderr).toContain(`trailkit: debug: trail west-trail is arn:aws:cloudtrail:us-west-2:${account}:trail/west-trail, home region us-west-2`);
  });

  it('an organization trail reads only its organization\'s folder (DescribeOrganization)', async () => {
    const r = await cli(['grep', '--trail', 'org-trail', ...WINDOW]);
    expect(r.status).toBe(0);
    expect(new Set(ids(r))).toEqual(new Set(inWindow(orgEvents).map((e) => e.eventID)));
    expect(inWindow(decoyEvents).length).toBeGreaterThan(0);
    expect(r.stderr).not.toMatch(/warning/);
  });

  it('tail --trail and --event-region', async () => {
    const r = await cli(['tail', '--trail', 'audit-trail', ...WINDOW, '-n', '3', '--event-region', 'eu-west-1']);
    expect(r.status).toBe(0);
    const printed = jsonLines(r.stdout);
    expect(printed).toHaveLength(3);
    expect(printed.every((e) => e['awsRegion'] === 'eu-west-1')).toBe(true);
  });

  it('grep --trail T --log-group reads the trail\'s CloudWatch Logs group', async () => {
    const r = await cli(['grep', '--trail', 'audit-trail', '--log-group', '--since', '1h']);
    expect(r.status).toBe(0);
    expect(ids(r)).toEqual(['from-the-log-group']);
    expect(r.stderr).toMatch(/searching log group audit-group in us-east-1/);
    const none = await cli(['grep', '--trail', 'org-trail', '--log-group']);
    expect(none.status).toBe(2);
    expect(none.stderr.trim()).toBe(`trailkit: trail arn:aws:cloudtrail:us-east-1:${account}:trail/org-trail: it sends no events to CloudWatch Logs (no CloudWatchLogsLogGroupArn) (drop --log-group to search its S3 bucket)`);
  });

  it('download --trail mirrors the trail\'s objects under its prefix, --event-region picking the folders', async () => {
    const to = join(work, 'download');
    const r = await cli(['download', '--trail', 'audit-trail', '--to', to, '--event-region', 'us-east-1', '--output', 'json']);
    expect(r.status).toBe(0);
    const files = walk(to).map((f) => relative(to, f)).filter((f) => !f.startsWith('.trailkit/'));
    expect(files.length).toBeGreaterThan(0);
    expect(files.every((f) => f.startsWith(`audit/AWSLogs/${account}/CloudTrail/us-east-1/`))).toBe(true);
    expect(JSON.parse(r.stdout)).toMatchObject({ bucket: 'audit-logs', failed: 0 });
  });

  it('validate-digest --trail and verify --trail read the trail', async () => {
    const keys = join(work, 'keys.json');
    writeFileSync(keys, '{"PublicKeyList":[]}');
    const vd = await cli(['validate-digest', '--trail', 'audit-trail', '--public-keys', keys, '--output', 'json', '--start-time', '2026-11-19T22:00:00Z', '--end-time', '2026-11-20T01:00:00Z']);
    const report = JSON.parse(vd.stdout) as { trailArn: string; locations: { bucket: string; prefix: string; region: string }[] };
    expect(report.trailArn).toBe(`arn:aws:cloudtrail:us-east-1:${account}:trail/audit-trail`);
    expect(report.locations.map((l) => [l.bucket, l.prefix, l.region])).toEqual([['audit-logs', 'audit', 'us-east-1']]);
    const verify = await cli(['verify', '--trail', 'audit-trail', '--only', 'trail-exists', '--output', 'json']);
    expect(verify.status).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ trail: `arn:aws:cloudtrail:us-east-1:${account}:trail/audit-trail`, checks: [{ id: 'trail-exists', status: 'pass' }] });
  });

  it('a trail that does not exist is one line, exit 2', async () => {
    const r = await cli(['grep', '--trail', 'no-such-trail']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('trailkit: trail no-such-trail: not found in this account (check the name (aws cloudtrail list-trails), --profile and --region)\n');
  });
});

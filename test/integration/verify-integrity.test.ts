import { CloudTrailClient, CreateTrailCommand, StartLoggingCommand } from '@aws-sdk/client-cloudtrail';
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startKeyProxy } from '../../bench/lib/digest-key-proxy.mjs';
import { generateArchive } from '../../fixtures/generate.mjs';
import { makeSigningKey, signArchive } from '../../fixtures/digest-signer.mjs';
import { startCli } from '../helpers/cli.js';
import { tempDir, uploadArchive, walkFiles } from '../helpers/digest-archive.js';
import { describeWithMoto, motoClientConfig, motoEnv, startMoto, type MotoServer } from '../helpers/moto.js';

const ACCOUNT = '123456789012'; // moto's account
const BUCKET = 'integrity-trail-logs';
const HOUR = 3_600_000;

describeWithMoto('trailkit verify integrity check against moto_server', () => {
  let moto: MotoServer;
  let s3: S3Client;
  let logs: string[];
  let digests: string[];
  let proxy: Awaited<ReturnType<typeof startKeyProxy>>;
  let keysJson: ReturnType<ReturnType<typeof makeSigningKey>['publicKeysJson']>;

  beforeAll(async () => {
    moto = await startMoto();
    const config = motoClientConfig(moto);
    s3 = new S3Client(config);
    // Five hours of signed logs and hourly digests, the newest ending two minutes ago: CloudTrail
    // delivers a digest every hour, so a newest digest older than an hour and a grace is missing.
    const end = Math.floor((Date.now() - 2 * 60_000) / 1000) * 1000;
    const start = new Date(end - 5 * HOUR).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const endIso = new Date(end).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const dir = tempDir('verify');
    generateArchive({ out: dir, accounts: [ACCOUNT], regions: ['us-east-1'], start, hours: 4, filesPerHour: 2, eventsPerFile: 5, duplicates: 0, marker: false });
    const key = makeSigningKey();
    signArchive({ dir, bucket: BUCKET, trailName: 'signed', homeRegion: 'us-east-1', key, start, end: endIso, offsetSeconds: (end % HOUR) / 1000 });
    await uploadArchive(s3, BUCKET, dir);
    logs = walkFiles(dir).filter((f) => f.includes('/CloudTrail/'));
    digests = walkFiles(dir).filter((f) => f.includes('/CloudTrail-Digest/') && f.endsWith('.json.gz'));
    const arn = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/signed`;
    await s3.send(new PutBucketPolicyCommand({
      Bucket: BUCKET,
      Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'AWSCloudTrailWrite20150319', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 's3:PutObject', Resource: `arn:aws:s3:::${BUCKET}/AWSLogs/${ACCOUNT}/*`, Condition: { StringEquals: { 'aws:SourceArn': arn } } }] }),
    }));
    const cloudTrail = new CloudTrailClient(config);
    await cloudTrail.send(new CreateTrailCommand({ Name: 'signed', S3BucketName: BUCKET, IsMultiRegionTrail: true, EnableLogFileValidation: true }));
    await cloudTrail.send(new StartLoggingCommand({ Name: 'signed' }));
    cloudTrail.destroy();
    // moto has no ListPublicKeys: a loopback proxy in front of it answers with the test key.
    keysJson = key.publicKeysJson(new Date(Date.now() - 48 * HOUR).toISOString(), new Date(Date.now() + 48 * HOUR).toISOString());
    proxy = await startKeyProxy(moto.endpoint, keysJson);
  }, 120_000);

  afterAll(async () => {
    await proxy?.close();
    s3?.destroy();
    await moto?.stop();
  });

  async function integrity() {
    const run = startCli(['verify', '--trail-name', 'signed', '--only', 'integrity', '--integrity-hours', '8', '--output', 'json'], { ...motoEnv(moto), AWS_ENDPOINT_URL: proxy.endpoint });
    await run.exited;
    expect(run.output.stderr).toBe('');
    return (JSON.parse(run.output.stdout) as { checks: { id: string; status: string; message: string }[] }).checks[0];
  }

  it('passes when every digest and log file of the window is valid', async () => {
    const check = await integrity();
    expect(check?.status).toBe('pass');
    expect(check?.message).toMatch(new RegExp(`^\\d+ digest and ${logs.length} log files valid in the last 8 hours$`));
  });

  it('takes the public keys from --public-keys [REGION=]FILE instead of ListPublicKeys', async () => {
    const file = join(tempDir('verify-keys'), 'keys.json');
    writeFileSync(file, JSON.stringify(keysJson));
    // Straight to moto, which has no ListPublicKeys: the keys can only come from the file.
    const run = startCli(['verify', '--trail-name', 'signed', '--only', 'integrity', '--integrity-hours', '8', '--output', 'json', '--public-keys', `us-east-1=${file}`], motoEnv(moto));
    await run.exited;
    const check = (JSON.parse(run.output.stdout) as { checks: { status: string; message: string }[] }).checks[0];
    expect(check?.status).toBe('pass');
    const wrongRegion = startCli(['verify', '--trail-name', 'signed', '--only', 'integrity', '--integrity-hours', '8', '--output', 'json', '--public-keys', `eu-west-1=${file}`], motoEnv(moto));
    await wrongRegion.exited;
    const failed = (JSON.parse(wrongRegion.output.stdout) as { checks: { status: string; message: string }[] }).checks[0];
    expect(failed?.status).not.toBe('pass');
    expect(failed?.message).toContain('no CloudTrail public keys for region us-east-1');
  });

  it('fails, naming the file, when a log file is changed after delivery', async () => {
    const victim = logs[1] as string;
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: victim, Body: gzipSync('{"Records":[]}') }));
    const check = await integrity();
    expect(check?.status).toBe('fail');
    expect(check?.message).toContain(`1 log files invalid`);
    expect(check?.message).toContain(`s3://${BUCKET}/${victim}\tINVALID: hash value doesn't match`);
  });

  it('fails when the newest digests are deleted (CloudTrail delivers one every hour)', async () => {
    for (const key of digests.slice(-2)) await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    const check = await integrity();
    expect(check?.status).toBe('fail');
    // The one that ended two minutes ago is not due yet; the one before it is, and its log files
    // (two; one whose name says the hour's first minute would not be judged) are vouched for by nothing.
    expect(check?.message).toContain(`1 digest file after s3://${BUCKET}/${digests[digests.length - 3]}\tINVALID: not found`);
    expect(check?.message).toMatch(/, [12] unreferenced in the last 8 hours/);
  });

  it('fails when log files are there but every digest is gone', async () => {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `AWSLogs/${ACCOUNT}/CloudTrail-Digest/` }));
    const remaining = (listed.Contents ?? []).map((o) => o.Key as string);
    expect(remaining.length).toBeGreaterThan(0);
    for (const Key of remaining) await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key }));
    const check = await integrity();
    expect(check?.status).toBe('fail');
    // Every log file whose digest was due is vouched for by nothing; one delivered less than an hour
    // and a grace ago is not yet covered (a warning), since its digest is not due yet.
    const due = logs.filter((k) => {
      const m = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_/.exec(k) as RegExpExecArray;
      return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!) + 60_000 + 90 * 60_000 <= Date.now();
    });
    expect(due.length).toBeGreaterThan(0);
    expect(check?.message).toMatch(new RegExp(`0 digest and \\d+ log files invalid, ${due.length} unreferenced`));
  });
});

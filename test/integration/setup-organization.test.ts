import { CloudTrailClient, GetTrailCommand } from '@aws-sdk/client-cloudtrail';
import { CreateOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { GetBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { describeWithMoto, motoClientConfig, motoEnv, startMoto, type MotoServer } from '../helpers/moto.js';

describeWithMoto('trailkit setup --organization against moto_server', () => {
  let moto: MotoServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    moto = await startMoto();
    env = motoEnv(moto);
  });
  afterAll(async () => {
    await moto?.stop();
  });

  it('says so in one line when the account is not in an organization, and changes nothing', () => {
    const r = runCli(['setup', '--trail-name', 'org-trail', '--bucket', 'org-trail-logs', '--organization', '--yes', '--no-cloudwatch'], { env });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^trailkit: --organization: this account is not in an AWS organization/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('reads the organization id from AWS Organizations when --organization has no value', async () => {
    const config = motoClientConfig(moto);
    const org = (await new OrganizationsClient(config).send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }))).Organization?.Id as string;
    expect(org).toMatch(/^o-/);
    const r = runCli(['setup', '--trail-name', 'org-trail', '--bucket', 'org-trail-logs', '--organization', '--yes', '--no-cloudwatch', '--output', 'json'], { env });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const policy = JSON.parse((await new S3Client(config).send(new GetBucketPolicyCommand({ Bucket: 'org-trail-logs' }))).Policy as string) as { Statement: { Sid: string; Resource: string | string[] }[] };
    const orgWrite = policy.Statement.find((s) => s.Sid === 'TrailkitCloudTrailOrganizationWrite');
    expect(orgWrite?.Resource).toEqual(`arn:aws:s3:::org-trail-logs/AWSLogs/${org}/*`);
    const trail = (await new CloudTrailClient(config).send(new GetTrailCommand({ Name: 'org-trail' }))).Trail;
    expect(trail?.IsOrganizationTrail).toBe(true);
  });
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bucketPolicy } from '../../src/core/policies.js';
import { ROOT, runCli } from '../helpers/cli.js';

// A closed loopback port: any AWS call that slipped through would fail with "connection refused",
// so each exact message below also proves the input was rejected before any call.
const OFFLINE = {
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_REGION: 'us-east-1',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_EC2_METADATA_DISABLED: 'true',
};

const dir = mkdtempSync(join(tmpdir(), 'trailkit-setup-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function oneLineError(args: string[], env: Record<string, string> = OFFLINE) {
  const r = runCli(args, { env });
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return lines[0] as string;
}

const manyValues = JSON.stringify([{ Name: 'big', FieldSelectors: [
  { Field: 'eventCategory', Equals: ['Data'] }, { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
  { Field: 'resources.ARN', StartsWith: Array.from({ length: 499 }, (_, i) => `arn:aws:s3:::bucket-${i}/`) },
] }]);

describe('trail setup commands: bad input gives one line and exit 2, before any AWS call', () => {
  it.each([
    ['invalid trail name', ['setup', '--trail-name', 'my..trail', '--bucket', 'ct-logs', '--yes'], 'trailkit: invalid trail name "my..trail": must not have adjacent periods, underscores or hyphens (such as "._", "-." or "..")'],
    ['trail name like an IP', ['setup', '--trail-name', '10.0.0.1', '--bucket', 'ct-logs'], 'trailkit: invalid trail name "10.0.0.1": must not be formatted as an IP address'],
    ['invalid bucket name', ['setup', '--trail-name', 'main', '--bucket', 'CT_Logs'], 'trailkit: invalid bucket name "CT_Logs": may contain only lowercase letters, digits, periods (.) and hyphens (-)'],
    ['invalid log group (setup)', ['setup', '--trail-name', 'main', '--bucket', 'ct-logs', '--log-group', 'bad group'], 'trailkit: invalid log group name "bad group": may contain only letters, digits, and the characters . _ - / #'],
    ['invalid log group (create-log-group)', ['create-log-group', '--log-group-name', 'aws/cloudtrail'], 'trailkit: invalid log group name "aws/cloudtrail": must not start with "aws/", which AWS reserves for its services'],
    ['bad retention', ['create-log-group', '--log-group-name', 'ct', '--retention-in-days', '10'], 'trailkit: invalid --retention-in-days "10": must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653'],
    ['invalid role name', ['create-role', '--role-name', 'bad/role'], 'trailkit: invalid role name "bad/role": may contain only letters, digits and the characters + = , . @ _ -'],
    ['bad insight type', ['put-insight-selectors', '--trail-name', 'main', '--insights', 'api-rate'], 'trailkit: invalid --insights: unknown insight type "api-rate" (api-call-rate, api-error-rate or none)'],
    ['update-trail needs a change', ['update-trail', '--name', 'main'], 'trailkit: nothing to change: give at least one setting (see trailkit update-trail --help)'],
    ['update-trail log group ARN without role', ['update-trail', '--name', 'main', '--cloud-watch-logs-log-group-arn', 'arn:aws:logs:us-east-1:111122223333:log-group:ct:*'], 'trailkit: --cloud-watch-logs-log-group-arn and --cloud-watch-logs-role-arn go together'],
    ['--kms-key not a key reference', ['setup', '--trail-name', 'main', '--bucket', 'ct-logs', '--kms-key', 'my key'], 'trailkit: invalid --kms-key "my key": must be a key ARN, an alias ARN, an alias name such as alias/cloudtrail, or a key id'],
    ['organization without id', ['setup', '--trail-name', 'main', '--bucket', 'ct-logs', '--organization', 'acme'], 'trailkit: invalid organization id "acme": must look like o-exampleorgid (o- then 10-32 lowercase letters or digits)'],
    ['bad selector inline', ['put-event-selectors', '--trail-name', 'main', '--event-selectors', '[{"ReadWriteType":"Both"}]'], 'trailkit: event selector 1, ReadWriteType: "Both" must be ReadOnly, WriteOnly or All'],
    ['both selector kinds', ['put-event-selectors', '--trail-name', 'main', '--event-selectors', '[]', '--management-events', 'all'], 'trailkit: give only one of --event-selectors, --advanced-event-selectors and the convenience selector flags: writing selectors replaces the trail\'s current ones'],
    ['unknown region', ['setup', '--trail-name', 'main', '--bucket', 'ct-logs', '--yes', '--region', 'zz-north-9'], "trailkit: --region 'zz-north-9': not a region trailkit knows (give a region such as us-east-1, or an --endpoint-url for an emulator)"],
    ['malformed region', ['create-log-group', '--log-group-name', 'ct', '--region', 'US East'], "trailkit: --region 'US East': not a region name (like us-east-1) (give a region such as us-east-1, or an --endpoint-url for an emulator)"],
  ])('%s', (_name, args, message) => {
    const env = args.includes('zz-north-9') ? { ...OFFLINE, AWS_ENDPOINT_URL: '' } : OFFLINE;
    expect(oneLineError(args, env)).toBe(message);
  });

  it('malformed and missing file:// JSON', () => {
    const broken = file('broken.json', '[{"ReadWriteType": "All",]');
    expect(oneLineError(['put-event-selectors', '--trail-name', 'main', '--event-selectors', `file://${broken}`])).toMatch(new RegExp(`^trailkit: --event-selectors: file://${broken} is not valid JSON \\(.+\\) \\(give inline JSON or file://path.json\\)$`));
    expect(oneLineError(['setup', '--trail-name', 'main', '--bucket', 'ct-logs', '--advanced-event-selectors', `file://${join(dir, 'nope.json')}`])).toBe(`trailkit: --advanced-event-selectors: cannot read ${join(dir, 'nope.json')} (no such file)`);
  });

  it('advanced selectors over the 500-value limit', () => {
    const big = file('big.json', manyValues);
    expect(oneLineError(['put-event-selectors', '--trail-name', 'main', '--advanced-event-selectors', `file://${big}`])).toBe('trailkit: advanced event selectors: 501 values across all selectors, at most 500 per trail');
  });

  it('several selector errors are summarised on the one line', () => {
    const line = oneLineError(['put-event-selectors', '--trail-name', 'main', '--advanced-event-selectors', '[{"Name":"x","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]},{"Field":"resources.ARN","Equals":["arn:aws:s3:::b"]},{"Field":"readOnly","NotEquals":["true"]}]}]']);
    expect(line).toMatch(/^trailkit: advanced event selector 1 \("x"\), field "readOnly": only Equals is allowed \(and 2 more: .*"resources.ARN", Equals: "arn:aws:s3:::b" is not an exact AWS::S3::Object ARN/);
  });

  it('a config file with an unknown setting, or broken YAML', () => {
    const unknown = file('unknown.yaml', 'trail-name: main\nbuckett: x\n');
    expect(oneLineError(['setup', '--config', unknown])).toMatch(/^trailkit: .*unknown.yaml: unknown setting "buckett" \(settings: trailName, bucket,/);
    const broken = file('broken.yaml', 'trail-name: [main\n');
    expect(oneLineError(['setup', '--config', broken])).toMatch(/^trailkit: --config: .*broken.yaml is not valid YAML \(/);
  });

  it('a config value of the wrong type (a string "false" for a boolean) is refused, naming the file and key', () => {
    const config = file('strings.json', '{"trailName":"main","bucket":"ct-logs","singleRegion":"false"}');
    expect(oneLineError(['setup', '--config', config, '--yes'])).toBe(`trailkit: ${config}: setting "singleRegion" must be true or false, not the string "false"`);
    const yaml = file('strings.yaml', 'trail-name: main\nbucket: ct-logs\ncloudwatch: "false"\n');
    expect(oneLineError(['setup', '--config', yaml, '--yes'])).toBe(`trailkit: ${yaml}: setting "cloudwatch" must be true or false, not the string "false"`);
  });

  it('no credentials: one line naming the fix', () => {
    const env = { ...OFFLINE, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SESSION_TOKEN: '' };
    const line = oneLineError(['setup', '--trail-name', 'main', '--bucket', 'ct-logs', '--yes'], env);
    expect(line).toMatch(/^trailkit: sts:GetCallerIdentity on the caller: no AWS credentials found \(set --profile or AWS_PROFILE/);
  });
});

describe('trailkit policy (offline)', () => {
  it('prints the exact bucket policy without loading the AWS SDK', () => {
    const trace = join(dir, 'policy-trace.txt');
    const r = runCli(['policy', 'bucket', '--bucket', 'ct-logs', '--trail-arn', 'arn:aws:cloudtrail:us-east-1:111122223333:trail/main', '--prefix', 'org'], {
      nodeArgs: ['--import', join(ROOT, 'test/helpers/trace-imports.mjs')], env: { TRAILKIT_TRACE_IMPORTS: trace },
    });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(bucketPolicy({ bucket: 'ct-logs', prefix: 'org', account: '111122223333', trailArn: 'arn:aws:cloudtrail:us-east-1:111122223333:trail/main' }));
    const loaded = readFileSync(trace, 'utf8');
    expect(loaded).toContain('<- ' + join(ROOT, 'dist', 'cli-bundle', 'main.cjs'));
    expect(loaded).not.toContain('@aws-sdk');
  });

  it('every kind, from names', () => {
    const base = ['--account-id', '111122223333', '--region', 'eu-west-1', '--trail-name', 'main'];
    const cw = JSON.parse(runCli(['policy', 'cloudwatch-role', '--log-group-name', 'ct', '--account-id', '111122223333', '--region', 'eu-west-1']).stdout) as { Statement: { Resource: string[] }[] };
    expect(cw.Statement[0]?.Resource).toEqual(['arn:aws:logs:eu-west-1:111122223333:log-group:ct:log-stream:111122223333_CloudTrail_eu-west-1*']);
    const kms = JSON.parse(runCli(['policy', 'kms', ...base]).stdout) as { Statement: { Sid: string }[] };
    expect(kms.Statement.map((s) => s.Sid)).toEqual(['Enable IAM User Permissions', 'Allow CloudTrail to encrypt logs', 'Allow CloudTrail to describe key', 'Allow principals in the account to decrypt log files']);
    const sns = JSON.parse(runCli(['policy', 'sns', ...base, '--topic-name', 't']).stdout) as { Statement: { Resource: string }[] };
    expect(sns.Statement[0]?.Resource).toBe('arn:aws:sns:eu-west-1:111122223333:t');
    expect(JSON.parse(runCli(['policy', 'assume-role']).stdout)).toEqual({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    expect(runCli(['policy', 'reader', '--bucket', 'ct-logs']).status).toBe(0);
  });

  it('bad input: one line, exit 2', () => {
    expect(oneLineError(['policy', 'bucket', '--bucket', 'ct-logs'])).toBe('trailkit: policy bucket needs --trail-arn (or --trail-name with --account-id and --region)');
    expect(oneLineError(['policy', 'firewall'])).toBe('trailkit: unknown policy kind "firewall" (kinds: bucket, kms, sns, cloudwatch-role, assume-role, reader)');
    expect(oneLineError(['policy', 'kms', '--trail-arn', 'arn:aws:s3:::x'])).toMatch(/^trailkit: invalid --trail-arn "arn:aws:s3:::x"/);
  });

  it('each setup command has help with examples', () => {
    for (const command of ['setup', 'create-log-group', 'create-role', 'put-role-policy', 'update-trail', 'put-event-selectors', 'put-insight-selectors', 'policy']) {
      const r = runCli([command, '--help']);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('Examples:');
      expect(r.stdout).toContain(`$ trailkit ${command}`);
    }
  });
});

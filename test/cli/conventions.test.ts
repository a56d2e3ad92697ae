import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, SAMPLE } from '../helpers/cli.js';

// Every case is refused before any AWS call: the endpoint below is never contacted.
const dir = mkdtempSync(join(tmpdir(), 'trailkit-conventions-'));
const CONFIG = join(dir, 'config');
writeFileSync(CONFIG, '[default]\nregion = us-east-1\n[profile dev]\nregion = eu-west-1\n');
const NO_AWS = { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_REGION: 'us-east-1', AWS_CONFIG_FILE: CONFIG, AWS_SHARED_CREDENTIALS_FILE: '/dev/null' };
const ARN = 'arn:aws:cloudtrail:us-east-1:111122223333:trail/main';
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `trailkit: <what>: <why> (<fix>)`, the fix optional; nothing of commander's or the SDK's own wording. */
const ONE_STYLE = /^trailkit: [^\n]*\S: [^\n]+$/;

describe('one error style everywhere: one line, exit 2', () => {
  const cases: [string, string[], RegExp, Record<string, string>?][] = [
    // commander's usage errors, rewritten
    ['unknown option', ['grep', SAMPLE, '--evnt-name', 'x'], /^trailkit: --evnt-name: unknown option \(did you mean --event-name\?\)$/],
    ['unknown command', ['gerp', SAMPLE], /^trailkit: gerp: unknown command \(did you mean grep\?\)$/],
    ['missing value', ['grep', SAMPLE, '--since'], /^trailkit: --since: needs a value \(e\.g\. --since <time>; see trailkit grep --help\)$/],
    ['required option', ['create-log-group'], /^trailkit: --log-group-name: required, not given \(see trailkit create-log-group --help\)$/],
    ['bad number', ['tail', SAMPLE, '-n', 'ten'], /^trailkit: --lines: 'ten' is not a whole number \(see trailkit tail --help\)$/],
    ['bad choice', ['put-event-selectors', '--trail-name', 'main', '--management-events', 'some'], /^trailkit: --management-events 'some': not one of all, read, write, none/],
    ['too many arguments', ['verify', 'main'], /^trailkit: verify: too many arguments \(takes none, got 1\)/],
    ['missing argument', ['policy'], /^trailkit: policy: missing the kind argument/],
    ['conflicting options', ['grep', SAMPLE, '--read-only', '--write-only'], /^trailkit: --read-only: cannot be used with --write-only \(give one of them\)$/],
    // --output, checked per command with the accepted list
    ['grep --output', ['grep', SAMPLE, '--output', 'yaml'], /^trailkit: --output 'yaml': not a format of grep \(use pretty, table, text or json\)$/],
    ['tail --output', ['--output', 'csv', 'tail', SAMPLE], /^trailkit: --output 'csv': not a format of tail \(use pretty, table, text or json\)$/],
    ['verify --output', ['verify', '--trail', 'main', '--output', 'table'], /^trailkit: --output 'table': not a format of verify \(use text, json or junit\)$/],
    ['download --output', ['download', '--bucket', 'my-trail', '--to', dir, '--output', 'table'], /^trailkit: --output 'table': not a format of download \(use text or json\)$/],
    ['validate-digest --output', ['validate-digest', dir, '--trail-arn', ARN, '--output', 'junit'], /^trailkit: --output 'junit': not a format of validate-digest \(use text or json\)$/],
    ['setup --output', ['setup', '--trail-name', 'main', '--bucket', 'my-trail', '--output', 'table'], /^trailkit: --output 'table': not a format of setup \(use text or json\)$/],
    ['create-log-group --output', ['create-log-group', '--log-group-name', 'g', '--output', 'yaml'], /^trailkit: --output 'yaml': not a format of create-log-group \(use text or json\)$/],
    ['create-role --output', ['create-role', '--output', 'table'], /not a format of create-role \(use text or json\)$/],
    ['put-role-policy --output', ['put-role-policy', '--log-group-name', 'g', '--output', 'table'], /not a format of put-role-policy \(use text or json\)$/],
    ['update-trail --output', ['update-trail', '--name', 'main', '--is-multi-region-trail', '--output', 'pretty'], /not a format of update-trail \(use text or json\)$/],
    ['put-event-selectors --output', ['put-event-selectors', '--trail-name', 'main', '--management-events', 'all', '--output', 'xml'], /not a format of put-event-selectors \(use text or json\)$/],
    ['put-insight-selectors --output', ['put-insight-selectors', '--trail-name', 'main', '--insights', 'none', '--output', 'table'], /not a format of put-insight-selectors \(use text or json\)$/],
    ['policy --output', ['policy', 'assume-role', '--output', 'text'], /^trailkit: --output 'text': not a format of policy \(use json\)$/],
    // contradictory flag pairs
    ['update-trail pair', ['update-trail', '--name', 'main', '--is-multi-region-trail', '--no-is-multi-region-trail'], /^trailkit: --is-multi-region-trail and --no-is-multi-region-trail: they contradict each other \(give one of them\)$/],
    ['update-trail pair, negative first', ['update-trail', '--name', 'main', '--no-enable-log-file-validation', '--enable-log-file-validation'], /^trailkit: --enable-log-file-validation and --no-enable-log-file-validation: they contradict each other/],
    ['update-trail global events pair', ['update-trail', '--name', 'main', '--include-global-service-events', '--no-include-global-service-events'], /they contradict each other/],
    ['update-trail organization pair', ['update-trail', '--name', 'main', '--is-organization-trail', '--no-is-organization-trail'], /they contradict each other/],
    ['grep headers pair', ['grep', SAMPLE, '--headers', '--no-headers'], /^trailkit: --headers and --no-headers: they contradict each other/],
    // --region is the region to call; the event filter is --event-region
    ['--region on files', ['grep', SAMPLE, '--region', 'eu-west-1'], /^trailkit: --region eu-west-1: grep on files calls no AWS region \(to keep only events of a region, use --event-region eu-west-1\)$/],
    ['--region before the command, on files', ['--region', 'eu-west-1', 'tail', SAMPLE], /^trailkit: --region eu-west-1: tail on files calls no AWS region \(to keep only events of a region, use --event-region eu-west-1\)$/],
    ['a region that does not exist', ['grep', '--lookup', '--region', 'eu-mars-1'], /^trailkit: --region 'eu-mars-1': not a region trailkit knows/, { ...NO_AWS, AWS_ENDPOINT_URL: '' }],
    ['AWS_REGION that is not a region', ['grep', '--lookup'], /^trailkit: AWS_REGION 'US East': not a region name/, { ...NO_AWS, AWS_REGION: 'US East' }],
    // sources that do not go together
    ['--lookup and --bucket', ['grep', '--lookup', '--bucket', 'my-trail'], /^trailkit: --lookup and --bucket: cannot be used together/],
    ['--lookup and paths', ['tail', SAMPLE, '--lookup'], /^trailkit: tail: reads either files or --lookup, not both/],
    ['--trail and --bucket', ['grep', '--trail', 'main', '--bucket', 'my-trail'], /^trailkit: --trail and --bucket: cannot be used together/],
    ['--trail and --log-group NAME', ['tail', '--trail', 'main', '--log-group', 'g'], /^trailkit: --trail and --log-group NAME: cannot be used together \(give --log-group without a value/],
    ['--log-group without a value or --trail', ['grep', '--log-group'], /^trailkit: --log-group: needs a log group name or ARN/],
    ['--log-group ARN in another region than --region', ['grep', '--log-group', 'arn:aws:logs:eu-west-1:111122223333:log-group:g', '--region', 'us-east-1'], /^trailkit: --region us-east-1: the --log-group ARN's region is eu-west-1 \(drop --region/],
    ['--log-group that is not an ARN', ['grep', '--log-group', 'arn:aws:s3:::b'], /^trailkit: --log-group 'arn:aws:s3:::b': not a log group ARN/],
    ['--trail that is not a trail', ['grep', '--trail', 'a b'], /^trailkit: --trail 'a b': not a trail name or ARN/],
    ['download --trail and --bucket', ['download', '--trail', 'main', '--bucket', 'my-trail', '--to', dir], /^trailkit: --trail and --bucket: cannot be used together/],
    ['download needs a source', ['download', '--to', dir], /^trailkit: download: needs --bucket or --trail/],
    ['validate-digest --trail and --trail-arn', ['validate-digest', '--trail', 'main', '--trail-arn', ARN, '--bucket', 'my-trail'], /^trailkit: --trail: cannot be used with --trail-arn \(give one of them\)$/],
    ['validate-digest needs a trail', ['validate-digest', dir], /^trailkit: validate-digest: needs --trail-arn ARN or --trail NAME\|ARN/],
    ['verify --trail and --trail-name', ['verify', '--trail', 'a-trail', '--trail-name', 'b-trail'], /^trailkit: --trail-name: cannot be used with --trail/],
    // a profile that does not exist is named as missing, before any call
    ['--profile missing', ['grep', '--bucket', 'my-trail', '--profile', 'prod'], new RegExp(`^trailkit: --profile 'prod': no such profile in ${CONFIG} or /dev/null \\(profiles there: default, dev; or create it with aws configure --profile prod\\)$`)],
    ['--profile missing before the command', ['--profile', 'prod', 'create-log-group', '--log-group-name', 'g'], /^trailkit: --profile 'prod': no such profile/],
    ['AWS_PROFILE missing', ['verify', '--trail', 'main'], /^trailkit: AWS_PROFILE 'prod': no such profile/, { ...NO_AWS, AWS_PROFILE: 'prod' }],
  ];

  it.each(cases)('%s', (_name, args, message, env) => {
    const r = runCli(args, { env: env ?? NO_AWS });
    expect(r.stdout).toBe('');
    expect(r.stderr.endsWith('\n')).toBe(true);
    const lines = r.stderr.slice(0, -1).split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(ONE_STYLE);
    expect(lines[0]).toMatch(message);
    expect(lines[0]).not.toMatch(/^error:|\berror: |[A-Z][a-zA-Z]*Error\b|Unknown: /);
    expect(r.status).toBe(2);
  });

  it("the SDK's multi-line notice about a profile and environment keys both set is one warning line", () => {
    const credentials = join(dir, 'credentials');
    writeFileSync(credentials, '[dev]\naws_access_key_id = a\naws_secret_access_key = b\n');
    const r = runCli(['create-log-group', '--log-group-name', 'g', '--profile', 'dev'], { env: { ...NO_AWS, AWS_SHARED_CREDENTIALS_FILE: credentials, AWS_MAX_ATTEMPTS: '1' } });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      "trailkit: warning: both a profile (--profile or AWS_PROFILE) and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are set: the profile's credentials are used",
      expect.stringMatching(/^trailkit: sts:GetCallerIdentity on the caller: connection refused .*\(check --endpoint-url\)$/),
    ]);
  });

  it('an empty --region or --profile is refused rather than giving way to the environment', () => {
    for (const [args, flag] of [[['grep', '--lookup', '--region='], '--region'], [['--profile', '', 'verify', '--trail', 'main'], '--profile']] as const) {
      const r = runCli([...args], { env: NO_AWS });
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`trailkit: ${flag} was given an empty value, so another one (the environment's or the profile's) would be used (give a value, e.g. ${flag} ${flag === '--region' ? 'us-east-1' : 'dev'}, or leave the flag out)\n`);
    }
  });

  it('no command prints the usage and exits 2', () => {
    const r = runCli([]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Usage: trailkit \[options\] \[command\]/);
    expect(r.stderr.trim().split('\n').at(-1)).toBe('trailkit: no command given (see trailkit --help; e.g. trailkit grep ./AWSLogs --errors)');
  });

  it('help is not an error', () => {
    for (const args of [['--help'], ['help'], ['help', 'grep'], ['grep', '--help'], ['--version']]) {
      const r = runCli(args);
      expect(r.status, args.join(' ')).toBe(0);
      expect(r.stdout).not.toBe('');
    }
  });
});

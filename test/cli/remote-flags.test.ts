import { describe, expect, it } from 'vitest';
import { runCli, SAMPLE } from '../helpers/cli.js';

// Bad flags are refused before any AWS call: the endpoint below is never contacted.
const NO_AWS = { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_REGION: 'us-east-1', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' };

describe('--bucket, --log-group and download: bad input', () => {
  it.each([
    [['grep', SAMPLE, '--bucket', 'my-trail'], /reads either files or --bucket, not both/],
    [['grep', '--bucket', 'b1-trail', '--log-group', 'g'], /--bucket and --log-group: cannot be used together/],
    [['grep', SAMPLE, '--prefix', 'logs'], /--prefix: needs --bucket/],
    [['tail', SAMPLE, '--organization-id', 'o-abcdefghij'], /--organization-id: needs --bucket/],
    [['grep', '--bucket', 'Not_A_Bucket'], /--bucket 'Not_A_Bucket': not a valid S3 bucket name/],
    [['grep', '--bucket', 's3://my-trail/logs'], /--bucket 's3:\/\/my-trail\/logs': a bucket name, not a URL.*use --bucket my-trail/],
    [['grep', '--bucket', 'my-trail', '--organization-id', 'org-1'], /--organization-id 'org-1': not an organization id/],
    [['grep', '--bucket', 'my-trail', '--concurrency', '0'], /--concurrency.*'0' is not a whole number from 1 to 256/],
    [['grep', '--bucket', 'my-trail', '--account', '12345'], /--account '12345' is not an AWS account id/],
    [['grep', '--bucket', 'my-trail', '--since', 'yesterday-ish'], /--since/],
    [['tail', '--log-stream-prefix', 'x', SAMPLE], /--log-stream-prefix: needs --log-group/],
    [['tail', '--log-group', 'bad group name'], /'bad group name': not a log group name or ARN/],
    [['download', '--to', '/tmp/x'], /download: needs --bucket or --trail/],
    [['download', '--bucket', 'my-trail'], /download: needs --to DIR/],
    [['download', '--bucket', 'my-trail', '--to', SAMPLE + '/../sample-archive.expected.json'], /: a file, not a folder/],
    [['download', '--bucket', 'my-trail', '--to', '/tmp/x', '--since', '2026-11-21', '--until', '2026-11-20'], /--since 2026-11-21: after --until 2026-11-20/],
  ])('%j', (args, message) => {
    const r = runCli(args, { env: NO_AWS });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('lists download as built, and grep/tail help no longer say S3 is not built', () => {
    const top = runCli(['--help']);
    expect(top.stdout).toMatch(/^Search and tail: [^]*?download \(mirror/m);
    for (const command of ['grep', 'tail']) {
      const help = runCli([command, '--help']).stdout;
      expect(help).toContain('--bucket');
      expect(help).toContain('--log-group');
      expect(help).toContain('--endpoint-url');
      expect(help).not.toMatch(/not built yet/);
    }
    const download = runCli(['download', '--help']);
    expect(download.status).toBe(0);
    expect(download.stdout).toContain('Examples:');
    expect(download.stdout).toContain('--no-digests');
  });
});

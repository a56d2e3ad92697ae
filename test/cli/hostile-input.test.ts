/**
 * One attack per finding of the adversarial review of trailkit's input paths: hostile files,
 * standard input, arguments and names, against the built CLI.
 */
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, jsonLines, runCli } from '../helpers/cli.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'trailkit-hostile-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function event(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    eventVersion: '1.08',
    userIdentity: { type: 'IAMUser', userName: 'alice', arn: 'arn:aws:iam::111111111111:user/alice', accountId: '111111111111' },
    eventTime: '2026-11-20T10:00:00Z',
    eventSource: 'signin.amazonaws.com',
    eventName: 'ConsoleLogin',
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.9',
    eventID: 'e-1',
    recipientAccountId: '111111111111',
    ...fields,
  };
}

function write(name: string, records: unknown[], gzip = false): string {
  const path = join(dir, name);
  const text = JSON.stringify({ Records: records });
  writeFileSync(path, gzip ? gzipSync(text) : text);
  return path;
}

const ids = (stdout: string) => jsonLines(stdout).map((e) => e['eventID']);

/** Peak resident memory (MiB) of a child, from /proc while it runs; undefined where there is no /proc. */
function watchPeak(pid: number): { stop(): number | undefined } {
  let peak: number | undefined;
  const read = () => {
    try {
      const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      if (kb !== undefined) peak = Math.max(peak ?? 0, Number(kb) / 1024);
    } catch {
      // gone, or no /proc
    }
  };
  const timer = setInterval(read, 25);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

describe('filter language findings', () => {
  it('?-terms next to a plain term are ignored, as CloudWatch ignores them', () => {
    const file = write('mixed.json', [
      event({ eventID: 'login' }),
      event({ eventID: 'denied', eventName: 'GetObject', errorCode: 'AccessDenied' }),
      event({ eventID: 'both', errorCode: 'Unauthorized' }),
    ]);
    const r = runCli(['grep', file, '--pattern', '?AccessDenied ?Unauthorized ConsoleLogin']);
    expect(r.status).toBe(0);
    expect(ids(r.stdout)).toEqual(['login', 'both']);
    expect(r.stderr).toMatch(/warning: --pattern: \?AccessDenied \?Unauthorized are ignored/);
  });

  it('accepts [*], $.*, bracket selectors and \\xhh, and finds what they name', () => {
    const file = write('selectors.json', [
      event({ eventID: 'bucket', resources: [{ type: 'AWS::IAM::User' }, { type: 'AWS::S3::Bucket' }], 'cluster.name': 'prod', requestParameters: { key: 'a:b' } }),
      event({ eventID: 'other', resources: [{ type: 'AWS::IAM::User' }] }),
    ]);
    const grep = (pattern: string) => runCli(['grep', file, '--pattern', pattern]);
    expect(ids(grep('{ $.resources[*].type = "AWS::S3::Bucket" }').stdout)).toEqual(['bucket']);
    expect(ids(grep('{ $.* = "prod" }').stdout)).toEqual(['bucket']);
    expect(ids(grep("{ $.['cluster.name'] = prod }").stdout)).toEqual(['bucket']);
    expect(ids(grep('{ $.requestParameters.key = %a\\x3Ab% }').stdout)).toEqual(['bucket']);
  });

  it('compares numbers with string fields the way AWS does', () => {
    const file = write('typing.json', [
      event({ eventID: 'v105', eventVersion: '1.05' }),
      event({ eventID: 'denied', errorCode: 'AccessDenied' }),
      event({ eventID: 'ok' }),
    ]);
    // eventVersion is a string: < > <= >= never hold for it.
    expect(runCli(['grep', file, '--pattern', '{ $.eventVersion >= 1.05 }', '--count']).stdout.trim()).toBe('0');
    // A number against a string compares text: "AccessDenied" != 400.
    expect(ids(runCli(['grep', file, '--pattern', '{ $.errorCode != 400 }']).stdout)).toEqual(['denied']);
  });

  it('refuses { $.v = null }, as CloudWatch does', () => {
    const r = runCli(['grep', write('null.json', [event({})]), '--pattern', '{ $.errorCode = null }']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/null is not a value to compare with; use '\$\.errorCode IS NULL'/);
  });
});

describe('--account', () => {
  it('is the recipient account, never the caller of a cross-account call; old events take the delivery file\'s account', () => {
    const crossAccount = event({ eventID: 'cross', userIdentity: { type: 'AssumedRole', accountId: '222222222222' }, recipientAccountId: '111111111111' });
    const old = event({ eventID: 'old', eventVersion: '1.01', userIdentity: { type: 'IAMUser', accountId: '222222222222' } });
    delete old['recipientAccountId'];
    const folder = join(dir, 'AWSLogs', '333333333333', 'CloudTrail', 'us-east-1', '2026', '11', '20');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, '333333333333_CloudTrail_us-east-1_20261120T1000Z_abcdefghijklmnop.json.gz'), gzipSync(JSON.stringify({ Records: [crossAccount, old] })));
    const count = (account: string) => runCli(['grep', join(dir, 'AWSLogs'), '--account', account, '--count']).stdout.trim();
    expect(count('222222222222')).toBe('0');
    expect(count('111111111111')).toBe('1');
    expect(count('333333333333')).toBe('1');
  });
});

describe('memory and inputs that never end', () => {
  it('reports a decompression bomb as one, and goes on with the other files', () => {
    // 256 KB of gzip that inflates to about 250 MB of valid records.
    const unit = Buffer.from(`${JSON.stringify(event({}))},`.repeat(4096));
    const parts = [Buffer.from('{"Records":[')];
    for (let i = 0; i < 250 * 1024 * 1024 / unit.length; i++) parts.push(unit);
    parts.push(Buffer.from(`${JSON.stringify(event({ eventID: 'last' }))}]}`));
    const bomb = join(dir, 'bomb.json.gz');
    writeFileSync(bomb, gzipSync(Buffer.concat(parts), { level: constants.Z_BEST_COMPRESSION }));
    const good = write('good.json', [event({ eventID: 'good' })]);
    const r = runCli(['grep', bomb, good, '--event-name', 'NoSuchEvent', '--count'], { timeoutMs: 120_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/bomb\.json\.gz: decompression bomb: it inflates past \d+ MB from [\d.]+ MB, more than 200 times its compressed size/);
    expect(runCli(['grep', bomb, good, '--event-id', 'good']).stdout).toContain('"eventID":"good"');
  }, 180_000);

  it('streams standard input: memory stays flat however much is piped in', async () => {
    const line = `${JSON.stringify(event({}))}\n`;
    const total = 600 * 1024 * 1024;
    const child = spawn(process.execPath, [BIN, 'grep', '-', '--event-name', 'NoSuchEvent', '--count'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const peak = watchPeak(child.pid as number);
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.resume();
    const block = Buffer.from(line.repeat(4096));
    let written = 0;
    child.stdin.on('error', () => {});
    while (written < total) {
      if (!child.stdin.write(block)) await new Promise((r) => child.stdin.once('drain', r));
      written += block.length;
    }
    child.stdin.end();
    const status = await new Promise<number | null>((r) => child.on('close', r));
    const mib = peak.stop();
    expect(status).toBe(1);
    expect(stdout.trim()).toBe('0');
    if (mib !== undefined) expect(mib).toBeLessThan(400);
  }, 180_000);

  it('refuses a device given as a file, a --config or a file:// argument', () => {
    const grep = runCli(['grep', '/dev/zero'], { timeoutMs: 30_000 });
    expect(grep.status).toBe(2);
    expect(grep.stderr.trim()).toBe('trailkit: /dev/zero: is a device, not a file');
    const config = runCli(['setup', '--config', '/dev/zero', '--dry-run', '--region', 'us-east-1'], { timeoutMs: 30_000 });
    expect(config.status).toBe(2);
    expect(config.stderr.trim()).toBe('trailkit: --config: /dev/zero is a device, not a file');
    const selectors = runCli(['put-event-selectors', '--trail-name', 'main-trail', '--event-selectors', 'file:///dev/zero', '--region', 'us-east-1'], { timeoutMs: 30_000 });
    expect(selectors.status).toBe(2);
    expect(selectors.stderr.trim()).toBe('trailkit: --event-selectors: /dev/zero is a device, not a file');
  });

  it('refuses a FIFO instead of waiting forever for a writer', () => {
    const fifo = join(dir, 'pipe.json');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      return; // no mkfifo here
    }
    for (const command of ['grep', 'tail']) {
      const r = runCli([command, fifo], { timeoutMs: 20_000 });
      expect(r.status).toBe(2);
      expect(r.stderr.trim()).toBe(`trailkit: ${fifo}: is a named pipe (FIFO), not a file; pipe it into standard input instead (-)`);
    }
  });

  it('shows a field of a record nested a million levels deep instead of aborting the search', () => {
    const path = join(dir, 'deep.json');
    const head = JSON.stringify(event({ eventID: 'deep' })).slice(0, -1);
    writeFileSync(path, `{"Records":[${head},"requestParameters":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}]}`);
    const r = runCli(['grep', path, '--output', 'pretty', '--fields', 'eventID,requestParameters']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^deep\s+\[\[\[\[/);
  });
});

describe('empty filter values', () => {
  it.each(['--source-ip=', '--account=', '--event-name=', '--pattern=', '--event-source=', '--user=', '--error-code=', '--event-region=', '--event-id=', '--preset=', '--event-name=a,,b'])(
    '%s is a usage error, not a filter that matches every event',
    (flag) => {
      const r = runCli(['grep', write('any.json', [event({})]), flag]);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^trailkit: --[a-z-]+ was given an empty value, which would match every event \(give a value/);
    },
  );
});

describe('raw escapes', () => {
  const ESC = '\u001b';
  const rawControl = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/;

  it('escapes a hostile file name in warnings', () => {
    const name = `notif${ESC}]0;owned${'\u0007'}\u202e.json`;
    writeFileSync(join(dir, name), JSON.stringify({ Records: [{ eventVersion: '2.1', eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', eventTime: '2026-11-20T10:00:00.000Z' }] }));
    const r = runCli(['grep', join(dir, name)]);
    expect(r.stderr).toContain('warning:');
    expect(r.stderr).not.toMatch(rawControl);
    expect(r.stderr).toContain('notif\\x1b]0;owned\\x07\\u202e.json');
  });

  it('never prints the content of a file in a JSON error', () => {
    // JSON.parse quotes the text around the error: `Unexpected token 'A', "AKIAIOSFOD"... is not valid JSON`.
    const secret = 'AKIAIOSFOD';
    const broken = join(dir, 'broken-record.json');
    writeFileSync(broken, `{"Records":[{"eventName":"X","secret":${secret}NN7EXAMPLE}]}`);
    const grep = runCli(['grep', broken]);
    expect(grep.stderr).toMatch(/record 0 is not valid JSON \(an unexpected character\)/);
    expect(grep.stderr).not.toContain(secret);
    const config = join(dir, 'config.json');
    writeFileSync(config, `${secret}NN7EXAMPLE secret access key`);
    const setup = runCli(['setup', '--config', config, '--dry-run', '--region', 'us-east-1']);
    expect(setup.status).toBe(2);
    expect(setup.stderr).toMatch(/--config: .*config\.json is not valid JSON/);
    expect(setup.stderr).not.toContain(secret);
    writeFileSync(join(dir, 'selectors.json'), `[{"ReadWriteType": ${secret}NN7EXAMPLE}]`);
    const file = runCli(['put-event-selectors', '--trail-name', 'main-trail', '--event-selectors', `file://${join(dir, 'selectors.json')}`, '--region', 'us-east-1']);
    expect(file.status).toBe(2);
    expect(file.stderr).toMatch(/--event-selectors: file:\/\/.*selectors\.json is not valid JSON/);
    expect(file.stderr).not.toContain(secret);
  });

  it('escapes what commander echoes of a hostile argument', () => {
    const r = runCli(['grep', `--evil${ESC}[2J`]);
    expect(r.status).toBe(2);
    expect(r.stderr).not.toMatch(rawControl);
    expect(r.stderr).toContain('--evil\\x1b[2J');
  });
});

describe('arguments that used to fall through', () => {
  it('refuses an empty --endpoint-url instead of calling AWS itself', () => {
    for (const args of [['grep', '--bucket', 'my-trail-bucket'], ['download', '--bucket', 'my-trail-bucket', '--to', join(dir, 'd')], ['verify', '--trail-name', 't', '--region', 'us-east-1']]) {
      const r = runCli([...args, '--endpoint-url', '']);
      expect(r.status).toBe(2);
      expect(r.stderr.trim()).toBe('trailkit: --endpoint-url was given an empty URL, so the AWS calls would go to AWS itself (give the endpoint, e.g. --endpoint-url http://127.0.0.1:5000, or leave the flag out)');
    }
    expect(existsSync(join(dir, 'd'))).toBe(false);
  });

  it('refuses download --to \'\' with a usage error', () => {
    const r = runCli(['download', '--bucket', 'my-trail-bucket', '--to', '']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^trailkit: --to was given an empty folder name \(e\.g\. trailkit download/);
  });
});

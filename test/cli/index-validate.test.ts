import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { buildArchive, END, START, tempDir, TRAIL_ARN, type SignedArchive } from '../helpers/digest-archive.js';

describe('trailkit index --validate', () => {
  let archive: SignedArchive;
  let index: string;
  let tampered: string;
  let injected: string;

  beforeAll(() => {
    archive = buildArchive({ label: 'index-validate' });
    // Attacks of someone who can write to the trail's folders: one log file altered after delivery,
    // one log file no digest lists.
    tampered = archive.logs[1] as string;
    const path = join(archive.dir, tampered);
    const doc = JSON.parse(gunzipSync(readFileSync(path)).toString()) as { Records: { eventName: string }[] };
    (doc.Records[0] as { eventName: string }).eventName = 'ForgedEvent';
    writeFileSync(path, gzipSync(JSON.stringify(doc)));
    injected = (archive.logs[2] as string).replace(/_[A-Za-z0-9]{16}\.json\.gz$/, '_Injected0000Log1.json.gz');
    writeFileSync(join(archive.dir, injected), gzipSync(JSON.stringify({ Records: [{ eventVersion: '1.08', eventTime: '2026-11-20T00:30:00Z', eventSource: 'iam.amazonaws.com', eventName: 'InjectedEvent', awsRegion: 'us-east-1', recipientAccountId: '111111111111', eventID: 'inj-1' }] })));
    index = join(tempDir('index-validate-out'), 'index');
  });
  afterAll(() => rmSync(archive.dir, { recursive: true, force: true }));

  it("stores each file's verdict from validate-digest with its events, and --verified keeps to valid files", () => {
    const r = runCli(['index', archive.dir, '--to', index, '--validate', '--trail-arn', TRAIL_ARN, '--since', START, '--until', END, '--public-keys', archive.keysFile], { timeoutMs: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/verdicts: \d+ valid, 1 invalid, 0 unverifiable, 1 unreferenced/);
    const verdicts = runCli(['query', "SELECT DISTINCT regexp_extract(source, '[^/]+$') AS file, verdict FROM events ORDER BY 1", '--index', index, '--output', 'csv']).stdout.split('\r\n').slice(1).filter(Boolean);
    const of = (key: string) => verdicts.find((l) => l.startsWith(key.split('/').pop() as string))?.split(',')[1];
    expect(of(tampered)).toBe('invalid');
    expect(of(injected)).toBe('unreferenced');
    expect(of(archive.logs[0] as string)).toBe('valid');
    const all = runCli(['grep', '--index', index, '--event-name', 'ForgedEvent,InjectedEvent', '--count']);
    expect(all.stdout.trim()).toBe('2');
    const verified = runCli(['grep', '--index', index, '--verified', '--count']);
    const valid = runCli(['query', "SELECT count(*) FROM events WHERE verdict = 'valid'", '--index', index, '--output', 'text']);
    expect(verified.stdout.trim()).toBe(valid.stdout.trim());
    expect(runCli(['grep', '--index', index, '--verified', '--event-name', 'ForgedEvent,InjectedEvent']).status).toBe(1);
    const summary = runCli(['query', '--summary', '--verified', '--index', index, '--output', 'json']);
    expect(summary.stdout).not.toMatch(/Injected|Forged/);
    // What --verified leaves out is said, by grep, tail and the questions alike.
    const files = /verdicts: (\d+) valid/.exec(r.stderr)?.[1];
    const leftOut = `trailkit: warning: --verified leaves out the events of 2 of the index's ${Number(files) + 2} files (1 invalid, 1 unreferenced)\n`;
    expect(verified.stderr).toBe(leftOut);
    expect(summary.stderr).toBe(leftOut);
    expect(runCli(['tail', '--index', index, '--verified', '-n', '1']).stderr).toBe(leftOut);
    // Without --verified, nothing is said.
    expect(all.stderr).toBe('');
  });

  it('--verified on an index built without --validate says that every file is left out, and how to judge them', () => {
    const plain = join(index, '..', 'plain');
    expect(runCli(['index', archive.dir, '--to', plain]).status).toBe(0);
    const r = runCli(['grep', '--index', plain, '--verified', '--count']);
    expect(r.status).toBe(1);
    expect(r.stdout.trim()).toBe('0');
    expect(r.stderr).toMatch(/^trailkit: warning: --verified leaves out the events of (\d+) of the index's \1 files \(\1 never validated\): build the index with trailkit index --validate to judge them\n$/);
  });

  it('a second run with the same files and verdicts reads nothing again', () => {
    const again = runCli(['index', archive.dir, '--to', index, '--validate', '--trail-arn', TRAIL_ARN, '--since', START, '--until', END, '--public-keys', archive.keysFile, '--output', 'json'], { timeoutMs: 120_000 });
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ indexed: 0 });
  });

  it('needs the trail to validate', () => {
    expect(runCli(['index', archive.dir, '--to', join(index, '..', 'x'), '--validate']).stderr).toMatch(/--validate needs the trail/);
    expect(runCli(['index', archive.dir, '--to', join(index, '..', 'y'), '--public-keys', archive.keysFile]).stderr).toMatch(/go with --validate/);
  });
});

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { jsonLines, runCli, SHARED_DATA } from '../helpers/cli.js';

type Rec = Record<string, unknown>;

/** A deliberately naive reader (JSON.parse of everything) to check the CLI against. */
function referenceEvents(): Rec[] {
  const out: Rec[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      if (name.startsWith('.')) continue;
      if (statSync(full).isDirectory()) {
        if (name !== 'CloudTrail-Digest') walk(full);
        continue;
      }
      if (!/\.(json|jsonl|ndjson)(\.gz)?$|\.gz$/i.test(name) || name.includes('_CloudTrail-Digest_')) continue;
      let bytes = readFileSync(full);
      if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
      const text = bytes.toString('utf8').trim();
      let records: unknown[];
      try {
        const value = JSON.parse(text) as unknown;
        if (Array.isArray(value)) records = value;
        else if (Array.isArray((value as Rec)['Records'])) records = (value as Rec)['Records'] as unknown[];
        else if (Array.isArray((value as Rec)['Events'])) records = ((value as Rec)['Events'] as Rec[]).map((e) => JSON.parse(e['CloudTrailEvent'] as string) as unknown);
        else records = [value];
      } catch {
        records = text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown);
      }
      for (const r of records as Rec[]) {
        const event = typeof r['CloudTrailEvent'] === 'string' && !('eventVersion' in r) ? (JSON.parse(r['CloudTrailEvent']) as Rec) : r;
        if (typeof event['eventSource'] === 'string' && event['eventSource'].startsWith('aws:')) continue;
        out.push(event);
      }
    }
  };
  walk(SHARED_DATA);
  return out;
}

describe.runIf(existsSync(SHARED_DATA))('trailkit grep on the public CloudTrail files in ../shared/data', () => {
  let cached: Rec[] | undefined;
  const reference = (): Rec[] => (cached ??= referenceEvents());

  it('reads every file: same totals as a naive JSON.parse reader, one warning for the S3 notification', () => {
    const events = reference();
    const r = runCli(['grep', SHARED_DATA, '--count']);
    expect(r.status).toBe(0);
    expect(Number(r.stdout)).toBe(events.length);
    expect(events.length).toBeGreaterThan(20_000);
    const warnings = r.stderr.trim().split('\n');
    expect(warnings).toEqual([expect.stringMatching(/lambda\/tests\/event\.json: is JSON but not CloudTrail events/)]);
  });

  it.each([
    ['--event-name Delete*', ['--event-name', 'Delete*'], (e: Rec) => typeof e['eventName'] === 'string' && e['eventName'].startsWith('Delete')],
    ['--errors', ['--errors'], (e: Rec) => typeof e['errorCode'] === 'string' && e['errorCode'] !== ''],
    ['--event-source s3', ['--event-source', 's3'], (e: Rec) => e['eventSource'] === 's3.amazonaws.com'],
    ['--event-region sa-east-1', ['--event-region', 'sa-east-1'], (e: Rec) => e['awsRegion'] === 'sa-east-1'],
    ['--write-only', ['--write-only'], (e: Rec) => e['readOnly'] === false || e['readOnly'] === 'false'],
  ] as [string, string[], (e: Rec) => boolean][])('%s agrees with the naive reader', (_name, args, predicate) => {
    const expected = reference().filter(predicate).length;
    expect(expected).toBeGreaterThan(0);
    expect(Number(runCli(['grep', SHARED_DATA, '--count', ...args]).stdout)).toBe(expected);
  });

  it('prints records that are the same JSON values as the input', () => {
    const printed = jsonLines(runCli(['grep', SHARED_DATA, '--event-name', 'ConsoleLogin']).stdout);
    const expected = reference().filter((e) => e['eventName'] === 'ConsoleLogin');
    expect(printed).toEqual(expected);
  });
});

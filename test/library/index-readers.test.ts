import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEventIndex, type QueryResult } from '../../src/index.js';
import { REPLACED_PART_RETENTION_MS } from '../../src/sources/index-store.js';
import { runCli, SAMPLE } from '../helpers/cli.js';

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

async function count(result: QueryResult): Promise<number> {
  let n = 0;
  for await (const chunk of result.chunks()) n += Number(chunk[0]?.[0]);
  return n;
}

/** The part files the committed manifests name as live (added and not removed since). */
function liveParts(index: string): Set<string> {
  const live = new Set<string>();
  for (const name of readdirSync(join(index, 'batches')).filter((n) => n.endsWith('.json')).sort()) {
    const m = JSON.parse(readFileSync(join(index, 'batches', name), 'utf8')) as { addedParts: { path: string }[]; removedParts: string[] };
    for (const p of m.addedParts) live.add(p.path);
    for (const p of m.removedParts) live.delete(p);
  }
  return live;
}

const parquetFiles = (index: string) => walk(join(index, 'data')).map((f) => relative(index, f).split(sep).join('/')).sort();

describe('a reader and a run that replaces the files it reads', () => {
  let dir: string;
  let archive: string;
  let index: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'trailkit-readers-'));
    archive = join(dir, 'archive');
    cpSync(SAMPLE, archive, { recursive: true });
    index = join(dir, 'index');
    expect(runCli(['index', archive, '--to', index]).status).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an index opened before the run still answers from the files it was opened on; the next open sees the run', async () => {
    const before = await openEventIndex(index);
    const events = await count(await before.query('SELECT count(*) FROM events'));
    // Built without validate: every source file without a verdict.
    expect(before.verdicts).toEqual({ valid: 0, invalid: 0, unverifiable: 0, unreferenced: 0, none: before.sources });
    expect(before.sources).toBeGreaterThan(10);
    const oldParts = parquetFiles(index);
    // Every delivery loses its last record: the run replaces every part file.
    let dropped = 0;
    for (const file of walk(archive).filter((f) => f.endsWith('.json.gz') && !f.includes('Digest'))) {
      const doc = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as { Records: unknown[] };
      if (doc.Records.length < 2) continue;
      doc.Records.pop();
      dropped++;
      writeFileSync(file, gzipSync(JSON.stringify(doc)));
    }
    expect(dropped).toBeGreaterThan(10);
    const run = runCli(['index', archive, '--to', index]);
    expect(run.status, run.stderr).toBe(0);
    for (const part of oldParts) expect(liveParts(index).has(part)).toBe(false);
    // Before, the run deleted the replaced files at once: "IO Error: No files found that match the pattern".
    expect(await count(await before.query('SELECT count(*) FROM events'))).toBe(events);
    await before.close();
    const after = await openEventIndex(index);
    expect(await count(await after.query('SELECT count(*) FROM events'))).toBe(events - dropped);
    await after.close();

    // A run within the retention time keeps them; one after it removes them, and only them.
    expect(runCli(['index', archive, '--to', index]).status).toBe(0);
    for (const part of oldParts) expect(parquetFiles(index)).toContain(part);
    const past = (Date.now() - REPLACED_PART_RETENTION_MS - 60_000) / 1000;
    for (const name of readdirSync(join(index, 'batches'))) utimesSync(join(index, 'batches', name), past, past);
    expect(runCli(['index', archive, '--to', index]).status).toBe(0);
    expect(parquetFiles(index)).toEqual([...liveParts(index)].sort());
    const last = await openEventIndex(index);
    expect(await count(await last.query('SELECT count(*) FROM events'))).toBe(events - dropped);
    await last.close();
  });
});

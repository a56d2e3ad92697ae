/**
 * A Parquet index on disk:
 *
 *   DIR/trailkit-index.json                      what the folder is
 *   DIR/batches/BATCH.json                       one committed batch (core/index-manifest.ts)
 *   DIR/data/account=A/region=R/date=D/*.parquet the events
 *   DIR/staging/                                 a batch being written (never read)
 *   DIR/.lock                                    the run that is writing, by process id
 *
 * A batch is committed by renaming its manifest into batches/ after its files are in data/: a
 * run killed at any point leaves the index as its last committed batch left it.
 */
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { TrailkitError } from '../core/errors.js';
import { INDEX_FORMAT, INDEX_VERSION, ManifestError, parseBatchManifest, replayManifests, type BatchManifest, type IndexState } from '../core/index-manifest.js';
import { describeFsError } from './local-files.js';

const MARKER = 'trailkit-index.json';

export class LocalIndex {
  constructor(readonly root: string) {}

  get dataDir(): string {
    return join(this.root, 'data');
  }

  get stagingDir(): string {
    return join(this.root, 'staging');
  }

  get batchesDir(): string {
    return join(this.root, 'batches');
  }

  /** Whether the folder holds an index (its marker file). */
  async exists(): Promise<boolean> {
    try {
      await stat(join(this.root, MARKER));
      return true;
    } catch {
      return false;
    }
  }

  /** Creates the folder, or checks that an existing non-empty folder is an index (never writes into anything else). */
  async create(): Promise<void> {
    if (await this.exists()) return;
    let entries: string[] = [];
    try {
      entries = await readdir(this.root);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOENT') throw new TrailkitError('input', `--to ${this.root}: ${describeFsError(error)}`);
    }
    if (entries.length > 0) {
      throw new TrailkitError('input', `--to ${this.root}: the folder is not empty and is not a trailkit index`, { hint: 'give a new or empty folder' });
    }
    await mkdir(this.batchesDir, { recursive: true });
    await writeFile(join(this.root, MARKER), `${JSON.stringify({ format: INDEX_FORMAT, version: INDEX_VERSION })}\n`);
  }

  /** Reads the committed state; a folder that is not an index is an error naming it. */
  async load(flag = '--index'): Promise<IndexState> {
    if (!(await this.exists())) {
      throw new TrailkitError('input', `${flag} ${this.root}: not a trailkit index (no ${MARKER})`, { hint: `build one with trailkit index PATH --to ${this.root}` });
    }
    let names: string[];
    try {
      names = (await readdir(this.batchesDir)).filter((n) => n.endsWith('.json')).sort();
    } catch (error) {
      throw new TrailkitError('input', `${flag} ${this.root}: ${describeFsError(error)}`);
    }
    const manifests: BatchManifest[] = [];
    for (const name of names) {
      const path = join(this.batchesDir, name);
      try {
        manifests.push(parseBatchManifest(await readFile(path, 'utf8'), path));
      } catch (error) {
        if (error instanceof ManifestError) throw new TrailkitError('input', `${flag} ${this.root}: ${error.message}`, { hint: 'the index was changed by hand; rebuild it into a new folder' });
        throw new TrailkitError('input', `${path}: ${describeFsError(error)}`);
      }
    }
    return replayManifests(manifests);
  }

  /** The live Parquet files, absolute. */
  partPaths(state: IndexState): string[] {
    return [...state.parts.keys()].sort().map((p) => join(this.root, ...p.split('/')));
  }

  /** Takes the index for this process; a lock left by a process that is gone is taken over. */
  async lock(): Promise<() => Promise<void>> {
    const path = join(this.root, '.lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(path, 'wx');
        await handle.writeFile(String(process.pid));
        await handle.close();
        return async () => {
          await rm(path, { force: true });
        };
      } catch (error) {
        if ((error as { code?: string }).code !== 'EEXIST') throw error;
        const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
        if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
          throw new TrailkitError('busy', `${this.root} is being written by process ${pid}`, { hint: 'wait for that index run to finish' });
        }
        await rm(path, { force: true });
      }
    }
    throw new TrailkitError('busy', `${this.root}: could not take the index lock`);
  }

  /**
   * Removes what a killed run left: the staging folder, and files in data/ that no committed batch
   * names (written before their manifest, or replaced by a later batch).
   */
  async recover(state: IndexState): Promise<number> {
    await rm(this.stagingDir, { recursive: true, force: true });
    const live = new Set(state.parts.keys());
    let removed = 0;
    for (const file of await walkFiles(this.dataDir)) {
      const rel = relative(this.root, file).split(sep).join('/');
      if (!live.has(rel)) {
        await rm(file, { force: true });
        removed++;
      }
    }
    return removed;
  }

  /** Commits a batch: its files move from staging into data/, then its manifest is renamed into place. */
  async commit(manifest: BatchManifest, staged: readonly { from: string; to: string }[]): Promise<void> {
    for (const move of staged) {
      const target = join(this.root, ...move.to.split('/'));
      await mkdir(join(target, '..'), { recursive: true });
      await rename(move.from, target);
    }
    const tmp = join(this.batchesDir, `.${manifest.batch}.json.tmp`);
    const handle = await open(tmp, 'w');
    await handle.writeFile(`${JSON.stringify(manifest)}\n`);
    await handle.sync();
    await handle.close();
    await rename(tmp, join(this.batchesDir, `${manifest.batch}.json`));
    for (const removed of manifest.removedParts) await rm(join(this.root, ...removed.split('/')), { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

export async function walkFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walkFiles(full)));
    else out.push(full);
  }
  return out;
}

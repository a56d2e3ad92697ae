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
 * run killed at any point leaves the index as its last committed batch left it. The part files a
 * batch replaces stay REPLACED_PART_RETENTION_MS after it: a query that read the manifests before
 * that batch (a query opened while a run was writing, or a program holding the index open) still
 * finds every file it was told of. A later run removes them.
 */
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { TrailkitError } from '../core/errors.js';
import { INDEX_FORMAT, INDEX_MARKER, INDEX_VERSION, ManifestError, parseBatchManifest, replayManifests, type BatchManifest, type IndexState } from '../core/index-manifest.js';
import { describeFsError } from './local-files.js';

const MARKER = INDEX_MARKER;

/** How long the part files a batch replaced stay on disk after its commit. */
export const REPLACED_PART_RETENTION_MS = 60 * 60 * 1000;

export class LocalIndex {
  /**
   * `replacedRetentionMs`: how long replaced part files stay (REPLACED_PART_RETENTION_MS); 0 for a
   * folder nothing reads but its own runs (the working copy of an S3 index), where they go at commit.
   */
  constructor(
    readonly root: string,
    private readonly replacedRetentionMs = REPLACED_PART_RETENTION_MS,
  ) {}

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
  async create(flag = '--to'): Promise<void> {
    if (await this.exists()) return;
    let entries: string[] = [];
    try {
      entries = await readdir(this.root);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOENT') throw new TrailkitError('input', `${flag} ${this.root}: ${describeFsError(error)}`);
    }
    if (entries.length > 0) {
      throw new TrailkitError('input', `${flag} ${this.root}: the folder is not empty and is not a trailkit index`, { hint: 'give a new or empty folder' });
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

  private holds = 0;

  /**
   * Takes the index for this process; a lock left by a process that is gone is taken over. Taken
   * again by the same LocalIndex (a run that pulls, builds and pushes), it is held until the last
   * release.
   */
  async lock(): Promise<() => Promise<void>> {
    const path = join(this.root, '.lock');
    const release = async () => {
      this.holds--;
      if (this.holds === 0) await rm(path, { force: true });
    };
    if (this.holds > 0) {
      this.holds++;
      return release;
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(path, 'wx');
        await handle.writeFile(String(process.pid));
        await handle.close();
        this.holds = 1;
        return release;
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
   * Removes what a killed run left, the staging folder and files in data/ that no committed batch
   * names (written before their manifest), and the files batches replaced over
   * REPLACED_PART_RETENTION_MS ago (by their manifest's modification time).
   */
  async recover(state: IndexState, now = Date.now()): Promise<number> {
    await rm(this.stagingDir, { recursive: true, force: true });
    const live = new Set(state.parts.keys());
    const kept = await this.recentlyReplaced(now);
    let removed = 0;
    for (const file of await walkFiles(this.dataDir)) {
      const rel = relative(this.root, file).split(sep).join('/');
      if (!live.has(rel) && !kept.has(rel)) {
        await rm(file, { force: true });
        removed++;
      }
    }
    return removed;
  }

  /** The part files replaced by batches committed less than the retention time before `now`. */
  private async recentlyReplaced(now: number): Promise<Set<string>> {
    const kept = new Set<string>();
    if (this.replacedRetentionMs <= 0) return kept;
    let names: string[];
    try {
      names = (await readdir(this.batchesDir)).filter((n) => n.endsWith('.json'));
    } catch {
      return kept;
    }
    for (const name of names) {
      const path = join(this.batchesDir, name);
      const info = await stat(path).catch(() => undefined);
      if (info === undefined || now - info.mtimeMs >= this.replacedRetentionMs) continue;
      const manifest = parseBatchManifest(await readFile(path, 'utf8'), path);
      for (const part of manifest.removedParts) kept.add(part);
    }
    return kept;
  }

  /** Commits a batch: its files move from staging into data/, then its manifest is renamed into place; the files it replaces stay for the retention time (recover removes them later). */
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
    if (this.replacedRetentionMs <= 0) for (const removed of manifest.removedParts) await rm(join(this.root, ...removed.split('/')), { force: true });
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

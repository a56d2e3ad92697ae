/**
 * Property: a random mutation of a signed multi-region archive (alter, delete, inject, rename or
 * copy any log file or digest) never validates, unless it changes nothing that is read.
 */
import fc from 'fast-check';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLimiter, type DigestLocation } from '../../src/core/digest-chain.js';
import { isAllValid, sumTallies, validateLocations } from '../../src/core/digest-validation.js';
import { fileKeyProvider, parsePublicKeysJson } from '../../src/core/digest-public-keys.js';
import { LocalDigestStore, discoverLocalLocations } from '../../src/sources/digest-local-store.js';
import { generateArchive } from '../../fixtures/generate.mjs';
import { makeSigningKey, signArchive } from '../../fixtures/digest-signer.mjs';
import { BUCKET, END, START, tempDir, walkFiles } from '../helpers/digest-archive.js';

const ACCOUNT = '111111111111';
const REGIONS = ['us-east-1', 'eu-west-1'];
const startMs = Date.parse(START);
const endMs = Date.parse(END);

let archive: string;
let keys: ReturnType<typeof parsePublicKeysJson>;
let logs: string[];
let digests: string[];
const made: string[] = [];

beforeAll(() => {
  archive = tempDir('mutations');
  made.push(archive);
  generateArchive({ out: archive, accounts: [ACCOUNT], regions: REGIONS, start: START, hours: 3, filesPerHour: 2, eventsPerFile: 3, duplicates: 0, marker: false });
  const perRegion = { 'us-east-1': makeSigningKey(), 'eu-west-1': makeSigningKey() };
  const backfillKey = makeSigningKey();
  const first = walkFiles(archive).filter((f) => f.includes('/CloudTrail/'));
  signArchive({ dir: archive, bucket: BUCKET, trailName: 'main', homeRegion: 'us-east-1', keys: perRegion, start: START, end: END, backfill: { logs: [first[2] as string], generatedAt: '2026-11-21T10:00:00Z', key: backfillKey } });
  keys = [
    ...parsePublicKeysJson(JSON.stringify(perRegion['us-east-1'].publicKeysJson()), 'k1'),
    ...parsePublicKeysJson(JSON.stringify(perRegion['eu-west-1'].publicKeysJson()), 'k2'),
    ...parsePublicKeysJson(JSON.stringify(backfillKey.publicKeysJson('2026-11-21T00:00:00Z', '2026-11-22T00:00:00Z')), 'k3'),
  ];
  const all = walkFiles(archive);
  logs = all.filter((f) => f.includes('/CloudTrail/'));
  digests = all.filter((f) => f.includes('/CloudTrail-Digest/') && f.endsWith('.json.gz'));
});
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** Validates as `validate-digest DIR --all-regions --strict` does: true when it would exit 0. */
async function validates(dir: string): Promise<boolean> {
  const found = new Map<string, DigestLocation>();
  for (const kind of ['CloudTrail-Digest', 'CloudTrail', 'CloudTrail-Insight'] as const) {
    for (const l of await discoverLocalLocations(dir, { kind })) if (l.account === ACCOUNT) found.set(`${l.orgId ?? ''}|${l.region}`, l);
  }
  try {
    const reports = await validateLocations(new LocalDigestStore(dir), [...found.values()], {
      trail: { name: 'main', homeRegion: 'us-east-1' },
      startMs,
      endMs,
      keys: fileKeyProvider([{ region: undefined, source: 'keys', keys }]),
      limit: createLimiter(8),
      nowMs: Date.parse('2026-12-01T00:00:00Z'),
    });
    const t = sumTallies(reports.map((r) => r.tally));
    return isAllValid(t) && t.insightFiles + t.uncoveredLogs === 0;
  } catch {
    return false; // an input error is exit 2
  }
}

const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').slice(0, 13) + 'Z';
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll('-', '/');
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const unique = fc.array(fc.integer({ min: 0, max: ALNUM.length - 1 }), { minLength: 16, maxLength: 16 }).map((xs) => xs.map((i) => ALNUM[i]).join(''));
const minuteInRange = fc.integer({ min: 0, max: (endMs - startMs) / 60_000 }).map((m) => startMs + m * 60_000);
const region = fc.constantFrom(...REGIONS);

/** Where an attacker puts a log file: well named in range, or a name or place CloudTrail never uses. */
const logTarget = fc.tuple(fc.constantFrom('well-named', 'odd-name', 'sub-folder', 'month-folder', 'region-folder', 'wrong-day', 'other-account-name', 'insight-folder', 'new-region'), region, minuteInRange, unique).map(([how, r, ms, u]) => {
  const root = `AWSLogs/${ACCOUNT}/CloudTrail/${r}/`;
  const name = `${ACCOUNT}_CloudTrail_${r}_${stamp(ms)}_${u}.json.gz`;
  switch (how) {
    case 'well-named': return `${root}${dayOf(ms)}/${name}`;
    case 'odd-name': return `${root}${dayOf(ms)}/${u}.json`;
    case 'sub-folder': return `${root}${dayOf(ms)}/x/${name}`;
    case 'month-folder': return `${root}${dayOf(ms).slice(0, 7)}/${name}`;
    case 'region-folder': return `${root}${name}`;
    case 'wrong-day': return `${root}${dayOf(ms - 86_400_000)}/${name}`;
    case 'other-account-name': return `${root}${dayOf(ms)}/${name.replace(ACCOUNT, '999999999999')}`;
    case 'insight-folder': return `AWSLogs/${ACCOUNT}/CloudTrail-Insight/${r}/${dayOf(ms)}/${name.replace('_CloudTrail_', '_CloudTrail-Insight_')}`;
    default: return `AWSLogs/${ACCOUNT}/CloudTrail/ap-south-1/${dayOf(ms)}/${name}`;
  }
});
/** Where an attacker puts a digest: another time, another day folder, another trail's name. */
const digestTarget = (from: string) => fc.tuple(fc.constantFrom('other-time', 'other-day', 'other-trail', 'backfill-name'), fc.integer({ min: 1, max: 59 })).map(([how, s]) => {
  switch (how) {
    case 'other-time': return from.replace(/T(\d{4})(\d{2})Z/, (_m, hm: string, sec: string) => `T${hm}${String(s === Number(sec) ? (s % 59) + 1 : s).padStart(2, '0')}Z`);
    case 'other-day': return from.replace(/\/(\d{2})\/([^/]+)$/, (_m, d: string, n: string) => `/${d === '19' ? '20' : '19'}/${n}`);
    case 'other-trail': return from.replace('_main_', '_mainx_');
    default: return from.includes('_backfill') ? from.replace('_backfill', '') : from.replace('.json.gz', '_backfill.json.gz');
  }
});

type Mutation =
  | { kind: 'alter-log'; i: number; mode: 'rewrite' | 'truncate' | 'append' | 'flip'; at: number }
  | { kind: 'alter-digest'; i: number; mode: 'field' | 'truncate' | 'flip'; at: number }
  | { kind: 'delete-log'; i: number }
  | { kind: 'delete-digest'; i: number }
  | { kind: 'newest-sidecar'; region: string }
  | { kind: 'sidecar-signature'; i: number; j: number }
  | { kind: 'inject-log'; to: string }
  | { kind: 'move-log'; i: number; to: string; keep: boolean }
  | { kind: 'move-digest'; i: number; to: string; keep: boolean };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('alter-log' as const), i: fc.nat(), mode: fc.constantFrom('rewrite' as const, 'truncate' as const, 'append' as const, 'flip' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('alter-digest' as const), i: fc.nat(), mode: fc.constantFrom('field' as const, 'truncate' as const, 'flip' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('delete-log' as const), i: fc.nat() }),
  fc.record({ kind: fc.constant('delete-digest' as const), i: fc.nat() }),
  fc.record({ kind: fc.constant('newest-sidecar' as const), region }),
  fc.record({ kind: fc.constant('sidecar-signature' as const), i: fc.nat(), j: fc.nat() }),
  fc.record({ kind: fc.constant('inject-log' as const), to: logTarget }),
  fc.record({ kind: fc.constant('move-log' as const), i: fc.nat(), to: logTarget, keep: fc.boolean() }),
  fc.nat().chain((i) => fc.record({ kind: fc.constant('move-digest' as const), i: fc.constant(i), to: fc.constant(''), keep: fc.boolean() })),
);

/** Applies a mutation; false when it turned out to change nothing that is read (a no-op). */
function apply(dir: string, m: Mutation, pick: (i: number) => string): boolean {
  const at = (key: string) => join(dir, key);
  const put = (key: string, bytes: Buffer) => {
    mkdirSync(dirname(at(key)), { recursive: true });
    writeFileSync(at(key), bytes);
  };
  /** One byte of the deflate data changed; a no-op when it still inflates to the same bytes. */
  const flip = (key: string, bytes: Buffer, at: number): boolean => {
    const copy = Buffer.from(bytes);
    const i = 10 + (at % (copy.length - 19));
    copy[i] = (copy[i] as number) ^ (1 + (at % 255));
    put(key, copy);
    try {
      return !gunzipSync(copy).equals(gunzipSync(bytes));
    } catch {
      return true; // corrupt: a real change
    }
  };
  switch (m.kind) {
    case 'alter-log': {
      const key = logs[m.i % logs.length] as string;
      const bytes = readFileSync(at(key));
      if (m.mode === 'rewrite') put(key, gzipSync(Buffer.from(gunzipSync(bytes).toString('utf8').replace('"Records":[', '"Records":[{"eventName":"Forged"},'))));
      else if (m.mode === 'truncate') put(key, bytes.subarray(0, m.at % bytes.length));
      else if (m.mode === 'append') put(key, Buffer.concat([bytes, Buffer.from([m.at % 256])]));
      else return flip(key, bytes, m.at);
      return true;
    }
    case 'alter-digest': {
      const key = digests[m.i % digests.length] as string;
      const bytes = readFileSync(at(key));
      if (m.mode === 'field') put(key, gzipSync(Buffer.from(gunzipSync(bytes).toString('utf8').replace(/"awsAccountId":"\d+"/, '"awsAccountId":"999999999999"'))));
      else if (m.mode === 'truncate') put(key, bytes.subarray(0, m.at % bytes.length));
      else return flip(key, bytes, m.at);
      return true;
    }
    case 'delete-log':
      rmSync(at(logs[m.i % logs.length] as string));
      return true;
    case 'delete-digest':
      rmSync(at(digests[m.i % digests.length] as string));
      return true;
    case 'newest-sidecar': {
      const newest = digests.filter((d) => d.includes(`/${m.region}/`) && !d.includes('_backfill')).sort().pop() as string;
      rmSync(at(`${newest}.meta.json`));
      return true;
    }
    case 'sidecar-signature': {
      const a = digests[m.i % digests.length] as string;
      const b = digests[m.j % digests.length] as string;
      if (a === b) return false;
      const meta = JSON.parse(readFileSync(at(`${a}.meta.json`), 'utf8')) as { signature: string; metadata: Record<string, string> };
      const other = JSON.parse(readFileSync(at(`${b}.meta.json`), 'utf8')) as { signature: string };
      meta.signature = other.signature;
      meta.metadata['signature'] = other.signature;
      writeFileSync(at(`${a}.meta.json`), JSON.stringify(meta));
      return true;
    }
    case 'inject-log':
      if (existsSync(at(m.to))) return false;
      put(m.to, gzipSync(Buffer.from('{"Records":[{"eventName":"Injected","eventTime":"2026-11-20T00:00:00Z"}]}')));
      return true;
    case 'move-log': {
      const from = logs[m.i % logs.length] as string;
      if (existsSync(at(m.to))) return false;
      mkdirSync(dirname(at(m.to)), { recursive: true });
      if (m.keep) copyFileSync(at(from), at(m.to));
      else renameSync(at(from), at(m.to));
      return true;
    }
    case 'move-digest': {
      const from = pick(m.i);
      const to = m.to;
      if (to === from || existsSync(at(to))) return false;
      mkdirSync(dirname(at(to)), { recursive: true });
      if (m.keep) copyFileSync(at(from), at(to));
      else renameSync(at(from), at(to));
      return true;
    }
  }
}

describe('validate-digest: random mutations of a signed multi-region archive', () => {
  it('the untouched archive validates (the property below is not vacuous)', async () => {
    const copy = tempDir('mutation-control');
    made.push(copy);
    cpSync(archive, copy, { recursive: true });
    expect(await validates(copy)).toBe(true);
    expect(digests.some((d) => d.endsWith('_backfill.json.gz'))).toBe(true);
  });

  it('never validates after a mutation that changes what is read', async () => {
    const withTargets = mutation.chain((m): fc.Arbitrary<Mutation> => (m.kind === 'move-digest' ? digestTarget(digests[m.i % digests.length] as string).map((to) => ({ ...m, to })) : fc.constant(m)));
    let applied = 0;
    await fc.assert(
      fc.asyncProperty(withTargets, async (m) => {
        const dir = tempDir('mutated');
        try {
          cpSync(archive, dir, { recursive: true });
          if (!apply(dir, m, (i) => digests[i % digests.length] as string)) return;
          applied++;
          expect(await validates(dir), JSON.stringify(m)).toBe(false);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 120 },
    );
    expect(applied).toBeGreaterThan(100);
  }, 240_000);
});

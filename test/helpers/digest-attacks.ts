/**
 * Attacks on validate-digest by someone who can write to the trail's bucket, each with the exact
 * verdict lines and exit status it must get. The attack suite runs every one offline and on moto S3.
 */
import { appendFileSync, copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { signArchive, type SigningKey } from '../../fixtures/digest-signer.mjs';
import { generateArchive } from '../../fixtures/generate.mjs';
import { BUCKET, buildArchive, END, errorLines, forgeDigest, START, tempDir, url, walkFiles, type SignedArchive } from './digest-archive.js';
import { expect } from 'vitest';
import { ALL_VALID, UNVERIFIABLE_HINT } from './digest-cases.js';

export const ACCOUNT = '111111111111';
export const LOG_ROOT = `AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/`;
export const DIGEST_ROOT = `AWSLogs/${ACCOUNT}/CloudTrail-Digest/us-east-1/`;
/** A 16-character unique part, as CloudTrail's. */
export const UNIQUE = 'InjectedLogFile1';

/** A log file an attacker writes: one event that grep finds by its name. */
export function injectedLog(minute = '2026-11-20T00:35:00Z'): { bytes: Buffer; raw: Buffer } {
  const raw = Buffer.from(JSON.stringify({ Records: [{ eventVersion: '1.08', eventTime: minute, eventSource: 'iam.amazonaws.com', eventName: 'InjectedEvent', awsRegion: 'us-east-1', recipientAccountId: ACCOUNT, eventID: 'injected-0001', userIdentity: { type: 'IAMUser', userName: 'mallory' } }] }));
  return { bytes: gzipSync(raw), raw };
}

export function logName(stamp: string, options: { account?: string; region?: string; kind?: string; unique?: string } = {}): string {
  return `${options.account ?? ACCOUNT}_${options.kind ?? 'CloudTrail'}_${options.region ?? 'us-east-1'}_${stamp}_${options.unique ?? UNIQUE}.json.gz`;
}

export function plant(a: SignedArchive, key: string, bytes: Buffer = injectedLog().bytes): void {
  const file = join(a.dir, key);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, bytes);
}

const D = (a: SignedArchive, i: number) => a.d[i] as string;
const L = (a: SignedArchive, i: number) => a.logs[i] as string;
const misplacedLog = (key: string) => `Log file\t${url(key)}\tINVALID: not a CloudTrail log file name or location`;
const unreferenced = (key: string) => `Log file\t${url(key)}\tINVALID: not referenced by any digest`;
const MISPLACED_ONE = [...ALL_VALID, '1 file INVALID: not a CloudTrail file name or location'];

export interface Attack {
  name: string;
  build?: () => SignedArchive;
  tamper?: (a: SignedArchive) => void;
  /** Arguments in place of the default range. */
  args?: (a: SignedArchive) => string[];
  status: number;
  stderr: (a: SignedArchive) => string;
  /** The lines at the end of the summary. */
  ratios: string[] | ((a: SignedArchive) => string[]);
  /** Files planted holding InjectedEvent: grep on the folder (and grep --bucket) must read each. */
  planted?: number;
  /** Offline and S3 differ (signatures from sidecars vs metadata): run offline only. */
  offlineOnly?: boolean;
}

/** Injected log files whose name or place is not one CloudTrail gives: each is INVALID, and grep reads each. */
const ODD_PLACES: [name: string, key: string][] = [
  ['a hyphen in the unique part', `${LOG_ROOT}2026/11/20/${logName('20261120T0040Z', { unique: 'Injected-LogFil1' })}`],
  ['an upper-case .JSON.GZ', `${LOG_ROOT}2026/11/20/${logName('20261120T0040Z').replace('.json.gz', '.JSON.GZ')}`],
  ['injected.json', `${LOG_ROOT}2026/11/20/injected.json`],
  ['a .jsonl name', `${LOG_ROOT}2026/11/20/events.jsonl`],
  ['a bare .gz name', `${LOG_ROOT}2026/11/20/x.gz`],
  ['a name with another account', `${LOG_ROOT}2026/11/20/${logName('20261120T0040Z', { account: '222222222222' })}`],
  ['a name with another region', `${LOG_ROOT}2026/11/20/${logName('20261120T0040Z', { region: 'eu-west-1' })}`],
  ['a sub-folder of a day folder', `${LOG_ROOT}2026/11/20/sub/${logName('20261120T0040Z')}`],
  ['the month folder', `${LOG_ROOT}2026/11/${logName('20261120T0040Z')}`],
  ['a 2026/3/1/ folder', `${LOG_ROOT}2026/3/1/${logName('20260301T0040Z')}`],
  ['the region folder itself', `${LOG_ROOT}${logName('20261120T0040Z')}`],
  ['a day folder that is not the delivery day', `${LOG_ROOT}2026/11/19/${logName('20261120T0040Z')}`],
  ['a log file name in the Insights folder', `AWSLogs/${ACCOUNT}/CloudTrail-Insight/us-east-1/2026/11/20/${logName('20261120T0040Z')}`],
  ['an odd name in the Insights folder', `AWSLogs/${ACCOUNT}/CloudTrail-Insight/us-east-1/2026/11/20/insight.json.gz`],
];

export const ATTACKS: Attack[] = [
  ...ODD_PLACES.map(([what, key]): Attack => ({
    name: `a log file injected under ${what} is INVALID (and grep reads it)`,
    tamper: (a) => plant(a, key),
    status: 1,
    stderr: () => errorLines(misplacedLog(key)),
    ratios: MISPLACED_ONE,
    planted: 1,
  })),
  {
    name: 'a well-named Insights file injected is named as outside integrity validation (a warning; --strict fails it)',
    tamper: (a) => plant(a, `AWSLogs/${ACCOUNT}/CloudTrail-Insight/us-east-1/2026/11/20/${logName('20261120T0040Z', { kind: 'CloudTrail-Insight' })}`),
    status: 0,
    stderr: () => '',
    ratios: [...ALL_VALID, '1 Insights file not covered by integrity validation (digest files list log files, not Insights files)'],
    planted: 1,
  },
  {
    name: 'the same with --strict fails the run',
    tamper: (a) => plant(a, `AWSLogs/${ACCOUNT}/CloudTrail-Insight/us-east-1/2026/11/20/${logName('20261120T0040Z', { kind: 'CloudTrail-Insight' })}`),
    args: () => ['--strict'],
    status: 1,
    stderr: () => '',
    ratios: [...ALL_VALID, '1 Insights file not covered by integrity validation (digest files list log files, not Insights files)'],
  },
  {
    name: 'a well-named log file injected in the minute where two digest periods meet is INVALID',
    tamper: (a) => {
      plant(a, `${LOG_ROOT}2026/11/20/${logName('20261120T0004Z')}`);
      plant(a, `${LOG_ROOT}2026/11/19/${logName('20261119T2304Z')}`);
    },
    status: 1,
    stderr: () => errorLines(unreferenced(`${LOG_ROOT}2026/11/19/${logName('20261119T2304Z')}`), unreferenced(`${LOG_ROOT}2026/11/20/${logName('20261120T0004Z')}`)),
    ratios: [...ALL_VALID, '2 log files INVALID: not referenced by any digest'],
    planted: 2,
  },
  {
    name: 'a log file injected inside a gap of the chain is INVALID, and the gap line does not claim none was delivered',
    build: () => {
      const a = buildArchive({ label: 'attack-gap', skipHours: [3] });
      for (const i of [4, 5]) rmSync(join(a.dir, L(a, i)));
      return a;
    },
    tamper: (a) => plant(a, `${LOG_ROOT}2026/11/20/${logName('20261120T0140Z')}`),
    status: 1,
    stderr: () => errorLines(
      'INVALID: 1 log file delivered by CloudTrail between 2026-11-20T01:04:04Z and 2026-11-20T02:04:04Z, where the digest chain has a gap',
      unreferenced(`${LOG_ROOT}2026/11/20/${logName('20261120T0140Z')}`),
    ),
    ratios: ['5/5 digest files valid', '4/4 log files valid', '1 log file INVALID: not referenced by any digest'],
  },
  {
    name: 'the newest digest of a past range deleted, then that hour\'s log files altered, injected and deleted',
    tamper: (a) => {
      rmSync(join(a.dir, D(a, 3)));
      rmSync(join(a.dir, `${D(a, 3)}.meta.json`));
      writeFileSync(join(a.dir, L(a, 4)), gzipSync(Buffer.from('{"Records":[{"eventName":"Altered"}]}')));
      rmSync(join(a.dir, L(a, 5)));
      plant(a, `${LOG_ROOT}2026/11/20/${logName('20261120T0140Z')}`);
    },
    args: () => ['--end-time', '2026-11-20T02:00:00Z'],
    status: 1,
    // D4, after the range, links to D3: a link to nothing.
    stderr: (a) => errorLines(`Digest file\t${url(D(a, 3))}\tINVALID: not found`, unreferenced(L(a, 4)), unreferenced(`${LOG_ROOT}2026/11/20/${logName('20261120T0140Z')}`)),
    ratios: ['3/4 digest files valid, 1/4 digest files INVALID', '4/4 log files valid', '2 log files INVALID: not referenced by any digest'],
  },
  {
    name: 'the same with every later digest deleted too: the digest due for the range\'s end is missing',
    tamper: (a) => {
      for (const i of [3, 4, 5]) {
        rmSync(join(a.dir, D(a, i)));
        rmSync(join(a.dir, `${D(a, i)}.meta.json`));
      }
      writeFileSync(join(a.dir, L(a, 4)), gzipSync(Buffer.from('{"Records":[{"eventName":"Altered"}]}')));
      rmSync(join(a.dir, L(a, 5)));
      plant(a, `${LOG_ROOT}2026/11/20/${logName('20261120T0140Z')}`);
    },
    args: () => ['--end-time', '2026-11-20T02:00:00Z'],
    status: 1,
    stderr: (a) => errorLines(`Digest file\t1 digest file after ${url(D(a, 2))}\tINVALID: not found`, unreferenced(L(a, 4)), unreferenced(`${LOG_ROOT}2026/11/20/${logName('20261120T0140Z')}`)),
    ratios: ['3/4 digest files valid, 1/4 digest files INVALID', '4/4 log files valid', '2 log files INVALID: not referenced by any digest'],
  },
  {
    name: 'every digest and log file of an old window deleted, with digests before and after it',
    tamper: (a) => {
      for (const i of [1, 2, 3]) {
        rmSync(join(a.dir, D(a, i)));
        rmSync(join(a.dir, `${D(a, i)}.meta.json`));
      }
      for (const i of [2, 3, 4, 5]) rmSync(join(a.dir, L(a, i)));
    },
    args: () => ['--start-time', '2026-11-20T00:00:00Z', '--end-time', '2026-11-20T02:00:00Z'],
    status: 1,
    stderr: (a) => errorLines(`Digest file\t${url(D(a, 3))}\tINVALID: not found`, `Digest file\t2 digest files before ${url(D(a, 3))}\tINVALID: not found`),
    ratios: ['0/3 digest files valid, 3/3 digest files INVALID'],
  },
  {
    name: 'offline, the newest digest forged (listing an injected log file) and its sidecar removed',
    tamper: (a) => {
      const key = `${LOG_ROOT}2026/11/20/${logName('20261120T0340Z')}`;
      const log = injectedLog('2026-11-20T03:35:00Z');
      plant(a, key, log.bytes);
      rmSync(join(a.dir, `${D(a, 5)}.meta.json`));
      forgeDigest(a, D(a, 5), (doc) => {
        (doc['logFiles'] as unknown[]).push({ s3Bucket: 'trail-bucket', s3Object: key, hashValue: createHash('sha256').update(log.raw).digest('hex'), hashAlgorithm: 'SHA-256' });
      });
    },
    status: 1,
    stderr: (a) => errorLines(
      `Digest file\t${url(D(a, 5))}\tINVALID: signature unverifiable (no signature metadata)`,
      `Log file\t${url(`${LOG_ROOT}2026/11/20/${logName('20261120T0340Z')}`)}\tINVALID: hash matches, but the digest that lists it is unverifiable`,
    ),
    ratios: ['5/6 digest files valid, 1/6 digest files signature unverifiable', '6/7 log files valid, 1/7 log files unverifiable', UNVERIFIABLE_HINT],
    offlineOnly: true,
  },
  {
    name: 'a whole account tree copied under another account id',
    tamper: (a) => cpSync(join(a.dir, `AWSLogs/${ACCOUNT}`), join(a.dir, 'AWSLogs/222222222222'), { recursive: true }),
    args: () => ['--account-id', '222222222222'],
    status: 1,
    stderr: (a) => errorLines(
      ...a.d.map((k) => `Digest file\t${url(k.replace(`/${ACCOUNT}/`, '/222222222222/'))}\tINVALID: not a digest file of this account and region`),
      ...a.logs.map((k) => misplacedLog(k.replace(`/${ACCOUNT}/`, '/222222222222/'))),
    ).split('\n\n').filter((l) => l !== '').sort().map((l) => `${l}\n\n`).join(''),
    ratios: ['No digests found', '', '12 files INVALID: not a CloudTrail file name or location'],
  },
  {
    name: 'a whole account tree copied under another account id, every name rewritten to it',
    tamper: (a) => {
      for (const rel of walkFiles(join(a.dir, `AWSLogs/${ACCOUNT}`))) {
        const target = join(a.dir, 'AWSLogs/222222222222', rel.replaceAll(ACCOUNT, '222222222222'));
        mkdirSync(dirname(target), { recursive: true });
        copyFileSync(join(a.dir, `AWSLogs/${ACCOUNT}`, rel), target);
      }
    },
    args: () => ['--account-id', '222222222222'],
    status: 1,
    stderr: (a) => errorLines(
      ...[...a.d].reverse().map((k) => `Digest file\t${url(k.replaceAll(ACCOUNT, '222222222222'))}\tINVALID: has been moved from its original location`),
      ...a.logs.map((k) => unreferenced(k.replaceAll(ACCOUNT, '222222222222'))),
    ),
    ratios: ['No valid digests found in range', '', '0/6 digest files valid, 6/6 digest files INVALID', '6 log files INVALID: not referenced by any digest'],
  },
  {
    name: 'a file that is not a digest in the digest folder, and a digest copied into another day folder',
    tamper: (a) => {
      plant(a, `${DIGEST_ROOT}2026/11/20/notes.json.gz`);
      copyFileSync(join(a.dir, D(a, 2)), join(a.dir, D(a, 2).replace('2026/11/20/', '2026/11/19/')));
    },
    status: 1,
    stderr: (a) => errorLines(
      `Digest file\t${url(D(a, 2).replace('2026/11/20/', '2026/11/19/'))}\tINVALID: not a digest file of this account and region`,
      `Digest file\t${url(`${DIGEST_ROOT}2026/11/20/notes.json.gz`)}\tINVALID: not a digest file of this account and region`,
    ),
    ratios: [...ALL_VALID, '2 files INVALID: not a CloudTrail file name or location'],
  },
  {
    name: 'a decompression bomb in place of a digest is invalid format, read no further than 16 MiB',
    tamper: (a) => writeFileSync(join(a.dir, D(a, 2)), gzipSync(Buffer.alloc(64 * 1024 * 1024))),
    status: 1,
    stderr: (a) => errorLines(`Digest file\t${url(D(a, 2))}\tINVALID: invalid format`, unreferenced(L(a, 2)), unreferenced(L(a, 3))),
    ratios: ['5/6 digest files valid, 1/6 digest files INVALID', '4/4 log files valid', '2 log files INVALID: not referenced by any digest'],
  },
  {
    name: 'a key that is valid only until 02:00 does not verify the digests that end after it',
    args: (a) => {
      const file = join(a.dir, '..', `${a.dir.split('/').pop()}-short-keys.json`);
      writeFileSync(file, JSON.stringify(a.key.publicKeysJson('2020-01-01T00:00:00Z', '2026-11-20T02:00:00Z')));
      return ['--public-keys', file];
    },
    status: 1,
    stderr: (a) => errorLines(...[5, 4, 3].map((i) => `Digest file\t${url(D(a, i))}\tINVALID: public key not found in region us-east-1 for fingerprint ${a.key.fingerprint}`), ...[4, 5].map((i) => `Log file\t${url(L(a, i))}\tINVALID: listed only by an INVALID digest`)),
    ratios: ['3/6 digest files valid, 3/6 digest files INVALID', '4/4 log files valid', '2 log files INVALID: listed only by an INVALID digest'],
  },
  {
    name: 'log files altered after the newest digest, between two valid digests, and appended to',
    tamper: (a) => {
      appendFileSync(join(a.dir, L(a, 1)), Buffer.from('{"Records":[{"eventName":"Appended"}]}'));
      writeFileSync(join(a.dir, L(a, 2)), readFileSync(join(a.dir, L(a, 2))).subarray(0, 40));
    },
    status: 1,
    stderr: (a) => errorLines(`Log file\t${url(L(a, 2))}\tINVALID: hash value doesn't match`, `Log file\t${url(L(a, 1))}\tINVALID: unexpected data after end of compressed stream`),
    ratios: ['6/6 digest files valid', '4/6 log files valid, 2/6 log files INVALID'],
  },
];

/**
 * An archive where two trails deliver to the same bucket and prefix: `main` (the base archive) and
 * `other`, with log files of its own (another generator seed) and digests of its own.
 */
export function twoTrailArchive(label: string, otherKey: SigningKey): SignedArchive & { otherLogs: string[]; otherDigests: string[] } {
  const a = buildArchive({ label });
  const other = tempDir(`${label}-other`);
  try {
    generateArchive({ out: other, seed: 7, accounts: [ACCOUNT], regions: ['us-east-1'], start: START, hours: 3, filesPerHour: 2, eventsPerFile: 4, duplicates: 0, marker: false });
    const { digests } = signArchive({ dir: other, bucket: BUCKET, trailName: 'other', homeRegion: 'us-east-1', key: otherKey, start: START, end: END });
    const otherLogs = walkFiles(other).filter((f) => f.includes('/CloudTrail/'));
    cpSync(other, a.dir, { recursive: true });
    return { ...a, otherLogs, otherDigests: digests.map((d) => d.key) };
  } finally {
    rmSync(other, { recursive: true, force: true });
  }
}

/** The attack's own arguments, with the archive's key file unless they name keys themselves. */
export function keysOf(attack: Attack, a: SignedArchive): string[] {
  const extra = attack.args?.(a) ?? [];
  return extra.includes('--public-keys') ? extra : ['--public-keys', a.keysFile, ...extra];
}

const ratiosOf = (attack: Attack, a: SignedArchive) => (typeof attack.ratios === 'function' ? attack.ratios(a) : attack.ratios);

export function expectVerdicts(r: { status: number | null; stdout: string; stderr: string }, attack: Attack, a: SignedArchive): void {
  expect(r.stderr).toBe(attack.stderr(a));
  // The summary's last lines; a list with a blank line in it starts at the line before the ratios.
  const ratios = ratiosOf(attack, a);
  expect(r.stdout.endsWith(`${ratios.includes('') ? '\n' : '\n\n'}${ratios.join('\n')}\n`), r.stdout).toBe(true);
  expect(r.status).toBe(attack.status);
}

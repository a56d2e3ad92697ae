import { copyFileSync, readFileSync, renameSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { resignDigest } from '../../fixtures/digest-signer.mjs';
import { buildArchive, END, errorLines, forgeDigest, START, url, type SignedArchive } from './digest-archive.js';

export interface Expectation {
  status: number;
  /** The exact stderr: INVALID lines, gaps and warnings. */
  stderr: (a: SignedArchive) => string;
  /** The ratio lines at the end of the summary. */
  ratios: string[];
}

export interface TamperCase {
  name: string;
  /** A fresh archive instead of a copy of the base one. */
  build?: () => SignedArchive;
  tamper?: (a: SignedArchive) => void;
  /** A public-keys file other than the archive's. */
  keysFile?: (a: SignedArchive) => string;
  offline: Expectation;
  /** When S3 differs from offline (signature metadata vs sidecars). */
  s3?: Expectation;
}

const path = (a: SignedArchive, key: string) => join(a.dir, key);
const D = (a: SignedArchive, i: number) => a.d[i] as string;
const L = (a: SignedArchive, i: number) => a.logs[i] as string;
const nextMember = gzipSync(Buffer.from('{"Records":[]}'));
/** A log file delivered at 03:30, after D3 (which ends at 02:04:04), in the hour D4 would cover. */
export const lateLog = (a: SignedArchive) => L(a, 2).replace(/T\d{4}Z_[A-Za-z0-9]+/, 'T0330Z_InjectedLateLog1');

export const ALL_VALID = ['6/6 digest files valid', '6/6 log files valid'];
export const UNVERIFIABLE_HINT = "1 digest file without a signature to check: validate with --bucket, or download with trailkit download, which keeps each digest's signature in a .meta.json beside it; --allow-unverifiable accepts them as warnings";

export const CASES: TamperCase[] = [
  {
    name: 'all valid',
    offline: { status: 0, stderr: () => '', ratios: ALL_VALID },
  },
  {
    name: 'log hash mismatch',
    tamper: (a) => writeFileSync(path(a, L(a, 2)), gzipSync(Buffer.from('{"Records":[{"eventName":"Injected"}]}'))),
    offline: { status: 1, stderr: (a) => errorLines(`Log file\t${url(L(a, 2))}\tINVALID: hash value doesn't match`), ratios: ['6/6 digest files valid', '5/6 log files valid, 1/6 log files INVALID'] },
  },
  {
    name: 'log missing',
    tamper: (a) => rmSync(path(a, L(a, 0))),
    offline: { status: 1, stderr: (a) => errorLines(`Log file\t${url(L(a, 0))}\tINVALID: not found`), ratios: ['6/6 digest files valid', '5/6 log files valid, 1/6 log files INVALID'] },
  },
  {
    name: 'log not gzip',
    tamper: (a) => writeFileSync(path(a, L(a, 5)), '{"Records":[]}'),
    offline: { status: 1, stderr: (a) => errorLines(`Log file\t${url(L(a, 5))}\tINVALID: invalid format`), ratios: ['6/6 digest files valid', '5/6 log files valid, 1/6 log files INVALID'] },
  },
  {
    name: 'log with data after the first gzip member',
    tamper: (a) => appendFileSync(path(a, L(a, 3)), nextMember),
    // aws-cli's words since May 2026 (awscli 1.45.x: "Validate CloudTrail log files don't have appended data").
    offline: { status: 1, stderr: (a) => errorLines(`Log file\t${url(L(a, 3))}\tINVALID: unexpected data after end of compressed stream`), ratios: ['6/6 digest files valid', '5/6 log files valid, 1/6 log files INVALID'] },
  },
  {
    name: 'log file cut short (aws-cli: the hash of what inflates does not match)',
    tamper: (a) => writeFileSync(path(a, L(a, 3)), readFileSync(path(a, L(a, 3))).subarray(0, 100)),
    offline: { status: 1, stderr: (a) => errorLines(`Log file\t${url(L(a, 3))}\tINVALID: hash value doesn't match`), ratios: ['6/6 digest files valid', '5/6 log files valid, 1/6 log files INVALID'] },
  },
  {
    name: 'digest missing (its log files are then vouched for by nothing)',
    tamper: (a) => rmSync(path(a, D(a, 3))),
    offline: {
      status: 1,
      stderr: (a) => errorLines(`Digest file\t${url(D(a, 3))}\tINVALID: not found`, ...[4, 5].map((i) => `Log file\t${url(L(a, i))}\tINVALID: not referenced by any digest`)),
      ratios: ['5/6 digest files valid, 1/6 digest files INVALID', '4/4 log files valid', '2 log files INVALID: not referenced by any digest'],
    },
  },
  {
    name: 'two consecutive digests deleted',
    tamper: (a) => {
      rmSync(path(a, D(a, 3)));
      rmSync(path(a, D(a, 2)));
    },
    offline: {
      status: 1,
      stderr: (a) => errorLines(`Digest file\t${url(D(a, 3))}\tINVALID: not found`, `Digest file\t1 digest file between ${url(D(a, 1))} and ${url(D(a, 3))}\tINVALID: not found`, ...[2, 3, 4, 5].map((i) => `Log file\t${url(L(a, i))}\tINVALID: not referenced by any digest`)),
      ratios: ['4/6 digest files valid, 2/6 digest files INVALID', '2/2 log files valid', '4 log files INVALID: not referenced by any digest'],
    },
  },
  {
    name: 'digest changed after signing (signature invalid)',
    tamper: (a) => writeFileSync(path(a, D(a, 2)), gzipSync(Buffer.from(digestBody(a, 2).replace('"awsAccountId":"111111111111"', '"awsAccountId":"222222222222"')))),
    offline: {
      status: 1,
      stderr: (a) => errorLines(`Digest file\t${url(D(a, 2))}\tINVALID: signature verification failed`, ...[2, 3].map((i) => `Log file\t${url(L(a, i))}\tINVALID: listed only by an INVALID digest`)),
      ratios: ['5/6 digest files valid, 1/6 digest files INVALID', '4/4 log files valid', '2 log files INVALID: listed only by an INVALID digest'],
    },
  },
  {
    name: 'wrong signature in the metadata',
    tamper: (a) => setSidecar(a, 5, (m) => ({ ...m, signature: a.digests[4]?.signature, metadata: { signature: a.digests[4]?.signature as string, 'signature-algorithm': 'SHA256withRSA' } })),
    offline: { status: 1, stderr: (a) => errorLines(`Digest file\t${url(D(a, 5))}\tINVALID: signature verification failed`), ratios: ['5/6 digest files valid, 1/6 digest files INVALID', '6/6 log files valid'] },
  },
  {
    name: 'digest moved',
    tamper: (a) => {
      renameSync(path(a, D(a, 2)), path(a, D(a, 2).replace('T010404Z', 'T003404Z')));
      rmSync(`${path(a, D(a, 2))}.meta.json`);
    },
    offline: {
      status: 1,
      stderr: (a) => errorLines(
        `Digest file\t${url(D(a, 2))}\tINVALID: not found`,
        `Digest file\t${url(D(a, 2).replace('T010404Z', 'T003404Z'))}\tINVALID: has been moved from its original location`,
        ...[2, 3].map((i) => `Log file\t${url(L(a, i))}\tINVALID: listed only by an INVALID digest`),
      ),
      ratios: ['5/7 digest files valid, 2/7 digest files INVALID', '4/4 log files valid', '2 log files INVALID: listed only by an INVALID digest'],
    },
  },
  {
    name: 'a digest whose key fingerprint is not among the region\'s keys',
    tamper: (a) => forgeDigest(a, D(a, 4), (doc) => (doc['digestPublicKeyFingerprint'] = '0'.repeat(32))),
    offline: {
      status: 1,
      stderr: (a) => errorLines(`Digest file\t${url(D(a, 4))}\tINVALID: public key not found in region us-east-1 for fingerprint ${'0'.repeat(32)}`),
      ratios: ['5/6 digest files valid, 1/6 digest files INVALID', '6/6 log files valid'],
    },
  },
  {
    name: 'gap in the chain (logging stopped for an hour: no log files then)',
    build: () => {
      const a = buildArchive({ label: 'gap', skipHours: [3] });
      for (const i of [4, 5]) rmSync(path(a, L(a, i)));
      return a;
    },
    offline: {
      status: 0,
      stderr: () => errorLines('No log files were delivered by CloudTrail between 2026-11-20T01:04:04Z and 2026-11-20T02:04:04Z'),
      ratios: ['5/5 digest files valid', '4/4 log files valid'],
    },
  },
  {
    name: 'log files delivered inside a gap of the chain are INVALID, and the gap line does not claim there were none',
    build: () => buildArchive({ label: 'gap-with-logs', skipHours: [3] }),
    offline: {
      status: 1,
      stderr: (a) => errorLines(
        'INVALID: 2 log files delivered by CloudTrail between 2026-11-20T01:04:04Z and 2026-11-20T02:04:04Z, where the digest chain has a gap',
        ...[4, 5].map((i) => `Log file\t${url(L(a, i))}\tINVALID: not referenced by any digest`),
      ),
      ratios: ['5/5 digest files valid', '4/4 log files valid', '2 log files INVALID: not referenced by any digest'],
    },
  },
  {
    name: 'previousDigestHashValue does not match the previous digest',
    tamper: (a) => {
      resignDigest(a.dir, D(a, 5), a.key, (doc) => (doc['previousDigestHashValue'] = '0'.repeat(64)));
    },
    offline: {
      status: 1,
      stderr: (a) => errorLines(`Digest file\t${url(D(a, 4))}\tINVALID: hash value doesn't match the previousDigestHashValue of ${url(D(a, 5))}`),
      ratios: ['5/6 digest files valid, 1/6 digest files INVALID', '6/6 log files valid'],
    },
  },
  {
    name: 'previousDigestSignature is not the previous digest\'s signature',
    tamper: (a) => {
      resignDigest(a.dir, D(a, 5), a.key, (doc) => (doc['previousDigestSignature'] = a.digests[3]?.signature));
    },
    offline: {
      status: 1,
      // Offline D4's own sidecar still holds its real signature, so the mismatch shows.
      stderr: (a) => errorLines(`Digest file\t${url(D(a, 4))}\tINVALID: signature doesn't match the previousDigestSignature of ${url(D(a, 5))}`),
      ratios: ['5/6 digest files valid, 1/6 digest files INVALID', '6/6 log files valid'],
    },
  },
  {
    name: 'log file that no digest references',
    tamper: (a) => copyFileSync(path(a, L(a, 2)), path(a, L(a, 2).replace(/T\d{4}Z_[A-Za-z0-9]+/, 'T0040Z_InjectedLogFile1'))),
    offline: {
      status: 1,
      stderr: (a) => errorLines(`Log file\t${url(L(a, 2).replace(/T\d{4}Z_[A-Za-z0-9]+/, 'T0040Z_InjectedLogFile1'))}\tINVALID: not referenced by any digest`),
      ratios: ['6/6 digest files valid', '6/6 log files valid', '1 log file INVALID: not referenced by any digest'],
    },
  },
  {
    name: 'signature algorithm other than SHA256withRSA',
    tamper: (a) => setSidecar(a, 5, (m) => ({ ...m, signatureAlgorithm: 'SHA1withRSA', metadata: { signature: m['signature'] as string, 'signature-algorithm': 'SHA1withRSA' } })),
    offline: {
      status: 1,
      stderr: (a) => errorLines(`Digest file\t${url(D(a, 5))}\tINVALID: unsupported signature algorithm SHA1withRSA (expected SHA256withRSA)`),
      ratios: ['5/6 digest files valid, 1/6 digest files INVALID', '6/6 log files valid'],
    },
  },
  {
    name: 'digest with data after the first gzip member',
    tamper: (a) => appendFileSync(path(a, D(a, 1)), nextMember),
    offline: {
      status: 1,
      stderr: (a) => errorLines(`Digest file\t${url(D(a, 1))}\tINVALID: invalid format`, ...[0, 1].map((i) => `Log file\t${url(L(a, i))}\tINVALID: not referenced by any digest`)),
      ratios: ['5/6 digest files valid, 1/6 digest files INVALID', '4/4 log files valid', '2 log files INVALID: not referenced by any digest'],
    },
  },
  {
    name: 'digest that is not gzip',
    tamper: (a) => writeFileSync(path(a, D(a, 5)), digestBody(a, 5)),
    offline: { status: 1, stderr: (a) => errorLines(`Digest file\t${url(D(a, 5))}\tINVALID: invalid format`), ratios: ['5/6 digest files valid, 1/6 digest files INVALID', '6/6 log files valid'] },
  },
  {
    name: 'digest that is not JSON',
    tamper: (a) => writeFileSync(path(a, D(a, 5)), gzipSync(Buffer.from('{"awsAccountId": "1111'))),
    offline: { status: 1, stderr: (a) => errorLines(`Digest file\t${url(D(a, 5))}\tINVALID: invalid format`), ratios: ['5/6 digest files valid, 1/6 digest files INVALID', '6/6 log files valid'] },
  },
  {
    name: 'digest missing required keys',
    tamper: (a) => writeFileSync(path(a, D(a, 5)), gzipSync(Buffer.from(digestBody(a, 5).replace(/"digestS3Object":"[^"]*",/, '')))),
    offline: { status: 1, stderr: (a) => errorLines(`Digest file\t${url(D(a, 5))}\tINVALID: invalid format`), ratios: ['5/6 digest files valid, 1/6 digest files INVALID', '6/6 log files valid'] },
  },
  {
    // Unverifiable is not valid: offline, the newest digest's signature exists only in S3.
    name: 'newest digest without signature metadata',
    tamper: (a) => rmSync(`${path(a, D(a, 5))}.meta.json`),
    offline: {
      status: 1,
      stderr: (a) => errorLines(`Digest file\t${url(D(a, 5))}\tINVALID: signature unverifiable (no signature metadata)`),
      ratios: ['5/6 digest files valid, 1/6 digest files signature unverifiable', '6/6 log files valid', UNVERIFIABLE_HINT],
    },
    s3: { status: 1, stderr: (a) => errorLines(`Digest file\t${url(D(a, 5))}\tINVALID: signature verification failed`), ratios: ['5/6 digest files valid, 1/6 digest files INVALID', '6/6 log files valid'] },
  },
  {
    // CloudTrail delivers a digest every hour, even an empty one: the newest digests cannot vanish.
    name: 'newest digests deleted and a log file injected after them',
    tamper: (a) => {
      for (const i of [4, 5]) {
        rmSync(path(a, D(a, i)));
        rmSync(`${path(a, D(a, i))}.meta.json`, { force: true });
      }
      copyFileSync(path(a, L(a, 2)), path(a, lateLog(a)));
    },
    offline: {
      status: 1,
      stderr: (a) => errorLines(`Digest file\t2 digest files after ${url(D(a, 3))}\tINVALID: not found`, `Log file\t${url(lateLog(a))}\tINVALID: not referenced by any digest`),
      ratios: ['4/6 digest files valid, 2/6 digest files INVALID', '6/6 log files valid', '1 log file INVALID: not referenced by any digest'],
    },
  },
  {
    name: 'no digest files at all, but log files',
    tamper: (a) => rmSync(join(a.dir, 'AWSLogs/111111111111/CloudTrail-Digest'), { recursive: true }),
    offline: {
      status: 1,
      stderr: () => errorLines(`INVALID: no digest files for 111111111111 us-east-1 between ${START} and ${END}, but 6 log files: validation cannot vouch for them`),
      ratios: ['6 log files INVALID: not referenced by any digest'],
    },
  },
];

function digestBody(a: SignedArchive, i: number): string {
  return gunzipSync(readFileSync(path(a, D(a, i)))).toString('utf8');
}

function setSidecar(a: SignedArchive, i: number, edit: (m: Record<string, unknown>) => Record<string, unknown>): void {
  const file = `${path(a, D(a, i))}.meta.json`;
  writeFileSync(file, JSON.stringify(edit(JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)));
}

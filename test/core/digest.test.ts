import fc from 'fast-check';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { digestStringToSign, parseDigest, sha256Hex } from '../../src/core/digest.js';
import { gunzipSingleMember } from '../../src/core/digest-gzip.js';
import {
  DIGEST_METADATA_FORMAT,
  digestMetadataFromS3,
  digestMetadataName,
  parseDigestMetadata,
  serializeDigestMetadata,
} from '../../src/core/digest-metadata.js';
import { loadRsaPublicKey, parsePublicKeysJson, publicKeyFingerprint, verifyRsaSha256 } from '../../src/core/digest-public-keys.js';
import { gzipSha256 } from '../../src/sources/gzip-sha256.js';
import { makeSigningKey, signString } from '../../fixtures/digest-signer.mjs';
import { SHARED_DATA } from '../helpers/cli.js';
import { TrailkitError } from '../../src/core/errors.js';
import { createLimiter, type DigestLocation, type DigestStore, type ValidateOptions } from '../../src/core/digest-chain.js';
import { LOCATION_PARALLELISM, validateLocation, validateLocations } from '../../src/core/digest-validation.js';
import { fileKeyProvider } from '../../src/core/digest-public-keys.js';
import { LocalDigestStore } from '../../src/sources/digest-local-store.js';
import { BUCKET, buildArchive, START } from '../helpers/digest-archive.js';

const LLM_GUARD = join(SHARED_DATA, 'digest_llm-guard/tests/input_scanners/327878933619_CloudTrail-Digest_ap-northeast-1_llm-guard-trail_us-west-2_20231015T230404Z.json');

async function* chunks(buffer: Buffer, size: number) {
  for (let i = 0; i < buffer.length; i += size) yield buffer.subarray(i, i + size);
}

describe('digest string to sign', () => {
  it("matches the SPEC's test vector", () => {
    const s = digestStringToSign({ digestEndTime: 'a', digestS3Bucket: 'b', digestS3Object: 'c', previousDigestSignature: null }, sha256Hex(Buffer.from('abc')));
    expect(s).toBe('a\nb/c\nba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\nnull');
  });

  it('ends with the previous signature when there is one', () => {
    expect(digestStringToSign({ digestEndTime: 'a', digestS3Bucket: 'b', digestS3Object: 'c', previousDigestSignature: 'ff00' }, 'h')).toBe('a\nb/c\nh\nff00');
  });
});

describe('parseDigest', () => {
  it.skipIf(!existsSync(LLM_GUARD))('parses the real llm-guard digest body (escaped slashes, unordered logFiles; skipped without ../shared/data)', () => {
    const bytes = readFileSync(LLM_GUARD);
    const parsed = parseDigest(bytes);
    if (!parsed.ok) throw new Error(parsed.problem);
    const d = parsed.digest;
    expect(d.digestS3Bucket).toBe('llm-guard-trail');
    expect(d.digestS3Object).toBe('AWSLogs/327878933619/CloudTrail-Digest/ap-northeast-1/2023/10/15/327878933619_CloudTrail-Digest_ap-northeast-1_llm-guard-trail_us-west-2_20231015T230404Z.json.gz');
    expect(d.previousDigestS3Object).toContain('_20231015T220404Z.json.gz');
    expect(d.digestEndTime).toBe('2023-10-15T23:04:04Z');
    expect(d.endMs - d.startMs).toBe(3_600_000);
    expect(d.logFiles).toHaveLength(5);
    expect(d.logFiles.every((l) => /^[0-9a-f]{64}$/.test(l.hashValue) && l.s3Object.startsWith('AWSLogs/327878933619/CloudTrail/ap-northeast-1/'))).toBe(true);
    // The hash is of the bytes as stored, escapes included.
    expect(digestStringToSign(d, sha256Hex(bytes)).split('\n')[1]).toBe(`llm-guard-trail/${d.digestS3Object}`);
  });

  it.each([
    ['not JSON', '{"digestS3Bucket":', /not JSON/],
    ['not an object', '[1]', /not a JSON object/],
    ['missing digestS3Object', '{"digestPublicKeyFingerprint":"f","digestS3Bucket":"b","previousDigestSignature":null,"digestEndTime":"2026-01-01T00:00:00Z","digestStartTime":"2026-01-01T00:00:00Z","logFiles":[]}', /missing required key digestS3Object/],
    ['logFiles not an array', '{"digestPublicKeyFingerprint":"f","digestS3Bucket":"b","digestS3Object":"k","previousDigestSignature":null,"digestEndTime":"2026-01-01T00:00:00Z","digestStartTime":"2026-01-01T00:00:00Z","logFiles":{}}', /logFiles is not an array/],
    ['a log file without hashValue', '{"digestPublicKeyFingerprint":"f","digestS3Bucket":"b","digestS3Object":"k","previousDigestSignature":null,"digestEndTime":"2026-01-01T00:00:00Z","digestStartTime":"2026-01-01T00:00:00Z","logFiles":[{"s3Bucket":"b","s3Object":"o"}]}', /hashValue is missing/],
    ['a bad time', '{"digestPublicKeyFingerprint":"f","digestS3Bucket":"b","digestS3Object":"k","previousDigestSignature":null,"digestEndTime":"yesterday","digestStartTime":"2026-01-01T00:00:00Z","logFiles":[]}', /not a UTC timestamp/],
  ])('rejects %s', (_name, text, problem) => {
    const parsed = parseDigest(Buffer.from(text));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toMatch(problem);
  });

  it('never throws on arbitrary input', () => {
    fc.assert(fc.property(fc.oneof(fc.uint8Array(), fc.json().map((j) => Buffer.from(j))), (bytes) => {
      const parsed = parseDigest(bytes);
      expect(typeof parsed.ok).toBe('boolean');
    }));
  });
});

describe('single-member gzip', () => {
  const member = gzipSync(Buffer.from('{"Records":[]}'));
  it('decompresses one member and refuses a second one, trailing bytes, truncation and non-gzip', () => {
    expect(gunzipSingleMember(member)).toMatchObject({ ok: true });
    expect(gunzipSingleMember(Buffer.concat([member, member]))).toEqual({ ok: false, problem: 'data after the first gzip member' });
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(100_000);
    expect(gunzipSingleMember(bomb, 16 * 1024 * 1024)).toEqual({ ok: false, problem: 'inflates past 16 MiB' });
    expect(gunzipSingleMember(Buffer.concat([member, Buffer.from([0])]))).toEqual({ ok: false, problem: 'data after the first gzip member' });
    expect(gunzipSingleMember(member.subarray(0, member.length - 3))).toMatchObject({ ok: false });
    expect(gunzipSingleMember(Buffer.from('{"Records":[]}'))).toEqual({ ok: false, problem: 'not gzip' });
    const badCrc = Buffer.from(member);
    badCrc[badCrc.length - 8] = (badCrc[badCrc.length - 8] as number) ^ 1;
    expect(gunzipSingleMember(badCrc)).toEqual({ ok: false, problem: 'gzip CRC-32 mismatch' });
  });

  it('streams the SHA-256 of the uncompressed bytes with any chunking, and refuses what gunzipSingleMember refuses', async () => {
    const big = Buffer.from(JSON.stringify({ Records: Array.from({ length: 3000 }, (_, i) => ({ eventID: `${i}`, eventName: 'GetObject' })) }));
    const gz = gzipSync(big);
    for (const size of [1, 7, 1000, 1 << 20]) {
      expect(await gzipSha256(chunks(gz, size))).toEqual({ ok: true, sha256: sha256Hex(big), size: big.length });
      expect(await gzipSha256(chunks(Buffer.concat([gz, member]), size))).toEqual({ ok: false, problem: 'data after the first gzip member', reason: 'trailing-data' });
    }
    expect(await gzipSha256(chunks(Buffer.from('plain'), 2))).toEqual({ ok: false, problem: 'not gzip', reason: 'corrupt' });
    expect(await gzipSha256(chunks(Buffer.alloc(0), 2))).toEqual({ ok: false, problem: 'empty file', reason: 'truncated' });
    expect(await gzipSha256(chunks(gz.subarray(0, 100), 10))).toEqual({ ok: false, problem: 'truncated gzip data', reason: 'truncated' });
    expect(await gzipSha256(chunks(gz.subarray(0, 5), 10))).toEqual({ ok: false, problem: 'truncated gzip header', reason: 'truncated' });
    expect(await gzipSha256(chunks(gz.subarray(0, gz.length - 3), 10))).toEqual({ ok: false, problem: 'truncated gzip trailer', reason: 'truncated' });
    const badCrc = Buffer.from(gz);
    badCrc[badCrc.length - 8] = (badCrc[badCrc.length - 8] as number) ^ 0xff;
    expect(await gzipSha256(chunks(badCrc, 1000))).toEqual({ ok: false, problem: 'gzip CRC-32 mismatch', reason: 'corrupt' });
  });
});

describe('public keys and signatures', () => {
  const key = makeSigningKey();

  it('accepts PKCS#1 and SPKI DER; the fingerprint is the MD5 of the DER bytes', () => {
    expect(publicKeyFingerprint(key.publicKeyDer)).toBe(key.fingerprint);
    for (const der of [key.publicKeyDer, key.spkiDer]) {
      const loaded = loadRsaPublicKey(der);
      if ('problem' in loaded) throw new Error(loaded.problem);
      expect(verifyRsaSha256(loaded, 'a\nb/c\nh\nnull', signString(key.privateKey, 'a\nb/c\nh\nnull'))).toBe(true);
      expect(verifyRsaSha256(loaded, 'a\nb/c\nh\nnul', signString(key.privateKey, 'a\nb/c\nh\nnull'))).toBe(false);
      expect(verifyRsaSha256(loaded, 'x', 'not hex')).toBe(false);
    }
    expect(loadRsaPublicKey(Buffer.from('junk'))).toHaveProperty('problem');
  });

  it('parses aws cloudtrail list-public-keys output and refuses malformed files', () => {
    const keys = parsePublicKeysJson(JSON.stringify(key.publicKeysJson()), 'keys.json');
    expect(keys.map((k) => k.fingerprint)).toEqual([key.fingerprint]);
    expect(keys[0]?.validFrom).toBe(Date.parse('2020-01-01T00:00:00Z'));
    const spki = parsePublicKeysJson(JSON.stringify(key.publicKeysJson(undefined, undefined, key.spkiDer)), 'keys.json');
    expect(spki[0]?.fingerprint).toBe(publicKeyFingerprint(key.spkiDer));
    const bad: [string, RegExp][] = [
      ['nope', /not JSON/],
      ['{}', /no "PublicKeyList" array/],
      ['{"PublicKeyList":[{"Value":"!!"}]}', /Value is not base64/],
      ['{"PublicKeyList":[{"Value":"AAAA"}]}', /not an RSA public key/],
      [JSON.stringify({ PublicKeyList: [{ ...key.publicKeysJson().PublicKeyList[0], Fingerprint: '00' }] }), /Fingerprint 00 is not the MD5 of its Value/],
    ];
    for (const [text, problem] of bad) {
      expect(() => parsePublicKeysJson(text, 'keys.json')).toThrow(TrailkitError);
      expect(() => parsePublicKeysJson(text, 'keys.json')).toThrow(problem);
    }
  });
});

describe('digest signature-metadata sidecar', () => {
  it('is named after the digest and round-trips', () => {
    expect(digestMetadataName('1_CloudTrail-Digest_r_t_r_20261120T000404Z.json.gz')).toBe('1_CloudTrail-Digest_r_t_r_20261120T000404Z.json.gz.meta.json');
    const made = digestMetadataFromS3({ bucket: 'b', key: 'k', metadata: { signature: 'abcd', 'signature-algorithm': 'SHA256withRSA' }, etag: '"e"', versionId: 'v1', lastModified: new Date(0) });
    if ('problem' in made) throw new Error(made.problem);
    const text = serializeDigestMetadata(made);
    expect(JSON.parse(text)).toEqual({ format: DIGEST_METADATA_FORMAT, bucket: 'b', key: 'k', signature: 'abcd', signatureAlgorithm: 'SHA256withRSA', etag: '"e"', versionId: 'v1', lastModified: '1970-01-01T00:00:00.000Z', metadata: { signature: 'abcd', 'signature-algorithm': 'SHA256withRSA' } });
    expect(parseDigestMetadata(text)).toEqual({ ok: true, metadata: made });
    expect(digestMetadataFromS3({ bucket: 'b', key: 'k', metadata: {} })).toHaveProperty('problem');
  });

  it.each([
    ['not JSON', 'x', /not JSON/],
    ['another format', '{"format":"v2"}', /format is "v2"/],
    ['no signature', `{"format":"${DIGEST_METADATA_FORMAT}","bucket":"b","key":"k","signatureAlgorithm":"SHA256withRSA"}`, /"signature" is missing/],
    ['a signature that is not hex', `{"format":"${DIGEST_METADATA_FORMAT}","bucket":"b","key":"k","signature":"xyz","signatureAlgorithm":"SHA256withRSA"}`, /not hex/],
    ['metadata that is not strings', `{"format":"${DIGEST_METADATA_FORMAT}","bucket":"b","key":"k","signature":"ab","signatureAlgorithm":"SHA256withRSA","metadata":{"a":1}}`, /not an object of strings/],
  ])('refuses %s', (_name, text, problem) => {
    const parsed = parseDigestMetadata(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toMatch(problem);
  });

  it('never throws on arbitrary JSON', () => {
    fc.assert(fc.property(fc.json(), (text) => {
      expect(typeof parseDigestMetadata(text).ok).toBe('boolean');
    }));
  });
});

describe('digest chain walk: bounded memory and errors', () => {
  const HERE: DigestLocation = { prefix: '', orgId: undefined, account: '111111111111', region: 'us-east-1' };
  const END_30H = '2026-11-21T04:00:00Z';
  const tick = (ms = 100) => new Promise((r) => setTimeout(r, ms));
  const optionsFor = (keys: string, endIso: string): ValidateOptions => ({
    trail: { name: 'main', homeRegion: 'us-east-1' },
    startMs: Date.parse(START),
    endMs: Date.parse(endIso),
    keys: fileKeyProvider([{ region: undefined, source: 'test keys', keys: parsePublicKeysJson(keys, 'test keys') }]),
    limit: createLimiter(16),
    nowMs: Date.parse('2026-11-23T00:00:00Z'),
  });

  it.each([
    ['from S3 (the bucket is known)', false],
    ['offline (the bucket is read from the digests)', true],
  ])('%s: fetches only the next few digests ahead of the walk, not every digest listed', async (_name, offline) => {
    // 30 hourly digests; the walk is held at the newest one.
    const archive = buildArchive({ label: 'prefetch-window', end: END_30H });
    try {
      const local = new LocalDigestStore(archive.dir);
      const newest = archive.d[archive.d.length - 1] as string;
      const requested: string[] = [];
      let release = () => {};
      const held = new Promise<void>((resolve) => (release = resolve));
      const store: DigestStore = {
        offline,
        bucket: offline ? undefined : BUCKET,
        listDigestFolder: (l, from, to) => local.listDigestFolder(l, from, to),
        findDigestAfter: (l, day, accept) => local.findDigestAfter(l, day, accept),
        listEventFiles: (l, w) => local.listEventFiles(l, w),
        fetchDigest: async (b, k) => {
          requested.push(k);
          if (k === newest) await held;
          return local.fetchDigest(b, k);
        },
        hashLog: (b, k) => local.hashLog(b, k),
      };
      const running = validateLocation(store, HERE, optionsFor(JSON.stringify(archive.key.publicKeysJson()), END_30H));
      await tick();
      expect(archive.d).toHaveLength(30);
      expect(requested.length).toBeLessThanOrEqual(5);
      release();
      const report = await running;
      expect(report.tally).toMatchObject({ validDigests: 30, invalidDigests: 0, unverifiableDigests: 0, validLogs: 6, invalidLogs: 0, unverifiableLogs: 0, unreferencedLogs: 0, misplacedFiles: 0, uncoveredLogs: 0 });
      // Each digest is read once (offline, the newest twice at most: once to learn the bucket).
      expect(new Set(requested).size).toBe(30);
      expect(requested.length).toBeLessThanOrEqual(31);
    } finally {
      rmSync(archive.dir, { recursive: true, force: true });
    }
  });

  it('validates a few account-regions at a time, keeps their order, and the first error ends the run', async () => {
    const regions = ['ap-south-1', 'eu-central-1', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'sa-east-1', 'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'];
    const locations = regions.map((region) => ({ ...HERE, region }));
    const started: string[] = [];
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const store = (fail?: string): DigestStore => ({
      offline: false,
      bucket: BUCKET,
      listDigestFolder: async (l) => {
        started.push(l.region);
        await held;
        if (l.region === fail) throw new TrailkitError('aws', `s3:ListBucket on s3://${BUCKET}: SlowDown`);
        return [];
      },
      findDigestAfter: async () => undefined,
      listEventFiles: async () => [],
      fetchDigest: async () => ({ found: false }),
      hashLog: async () => ({ kind: 'not-found' }),
    });
    const options = optionsFor('{"PublicKeyList":[]}', END_30H);
    const running = validateLocations(store(), locations, options);
    await tick();
    expect(started).toEqual(regions.slice(0, LOCATION_PARALLELISM));
    release();
    expect((await running).map((r) => r.location.region)).toEqual(regions);

    started.length = 0;
    const failing = validateLocations(store('eu-central-1'), locations, options);
    const error = await failing.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrailkitError);
    expect((error as TrailkitError).message).toMatch(/SlowDown/);
    await tick();
    // Nothing after the failure is started.
    expect(started.length).toBeLessThanOrEqual(LOCATION_PARALLELISM + 1);
  });
});

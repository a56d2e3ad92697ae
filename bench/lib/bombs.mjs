// Hostile inputs for the memory benchmark (bench/memory.mjs), made on the fly and never committed:
// gzip decompression bombs shaped like CloudTrail delivery files, an endless stream of events for
// standard input, a FIFO, and a record nested a million levels deep.
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { constants, createGzip } from 'node:zlib';

/** One CloudTrail-shaped event; repeated, it compresses about a thousand to one. */
export const BOMB_EVENT = JSON.stringify({
  eventVersion: '1.08',
  userIdentity: { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: 'arn:aws:iam::111111111111:user/bomb', accountId: '111111111111', userName: 'bomb' },
  eventTime: '2026-11-20T10:00:00Z',
  eventSource: 's3.amazonaws.com',
  eventName: 'GetObject',
  awsRegion: 'us-east-1',
  sourceIPAddress: '203.0.113.7',
  userAgent: 'bomb',
  requestParameters: { bucketName: 'b', key: 'k' },
  responseElements: null,
  eventID: '00000000-0000-0000-0000-000000000000',
  readOnly: true,
  eventType: 'AwsApiCall',
  recipientAccountId: '111111111111',
});

/**
 * Writes `{"Records":[EVENT,EVENT,...` gzipped until the compressed file reaches `compressedBytes`,
 * then closes the array: a valid delivery file that inflates to about a thousand times its size.
 */
export async function writeGzipBomb(path, compressedBytes) {
  if (existsSync(path) && statSync(path).size >= compressedBytes) return;
  const gzip = createGzip({ level: constants.Z_BEST_COMPRESSION, memLevel: 9 });
  const out = createWriteStream(path);
  gzip.pipe(out);
  let written = 0;
  const block = Buffer.from(`${BOMB_EVENT},`.repeat(4096));
  gzip.write('{"Records":[');
  while (out.bytesWritten + out.writableLength < compressedBytes) {
    if (!gzip.write(block)) await once(gzip, 'drain');
    written += block.length;
    // Let the compressed bytes reach the file so its size can be read.
    if (written % (block.length * 64) === 0) await yieldTurn();
  }
  gzip.end(`${BOMB_EVENT}]}`);
  await once(out, 'close');
}

/** A record whose `requestParameters` is nested `depth` arrays deep. */
export function writeDeepRecord(path, depth) {
  const event = JSON.parse(BOMB_EVENT);
  delete event.requestParameters;
  const head = JSON.stringify(event).slice(0, -1);
  writeFileSync(path, `{"Records":[${head},"requestParameters":${'['.repeat(depth)}${']'.repeat(depth)}}]}`);
}

/** A named pipe nobody writes to. */
export function makeFifo(path) {
  if (!existsSync(path)) execFileSync('mkfifo', [path]);
}

/** Node code that writes NDJSON events to stdout, `total` bytes of them, as fast as the pipe takes them. */
export function ndjsonWriterScript(total) {
  return `const line = Buffer.from(${JSON.stringify(`${BOMB_EVENT}\n`)}.repeat(2048));
let left = ${total};
function pump() { while (left > 0) { left -= line.length; if (!process.stdout.write(line)) return process.stdout.once('drain', pump); } process.stdout.end(); }
process.stdout.on('error', () => process.exit(0));
pump();`;
}

export function ensureDir(dir) {
  mkdirSync(dir, { recursive: true });
  return dir;
}

export const bombPath = (dir, name) => join(dir, name);

/**
 * Decompression bombs for the memory tests, made in a fraction of a second: a gzip file may hold
 * several members one after the other, and readers inflate them all as one stream, so one
 * compressed member repeated N times inflates to N times its text.
 */
import { readFileSync } from 'node:fs';
import { constants, gzipSync } from 'node:zlib';

/** A CloudTrail-shaped event; repeated, it compresses about a thousand to one. */
export function bombEvent(id: string): Record<string, unknown> {
  return {
    eventVersion: '1.08',
    userIdentity: { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: 'arn:aws:iam::111111111111:user/bomb', accountId: '111111111111', userName: 'bomb' },
    eventTime: '2026-11-20T10:00:00Z',
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.7',
    eventID: id,
    recipientAccountId: '111111111111',
  };
}

const GZ = { level: constants.Z_BEST_COMPRESSION };

/**
 * `{"Records":[...]}` of valid events that inflates to about `inflatedBytes` (16 MiB per member),
 * a thousand times its size: each event carries a 1 MiB user agent of one letter (a record may
 * be up to 8 MiB), which deflate compresses as far as it can.
 */
export function recordsBomb(inflatedBytes: number): Buffer {
  const unit = Buffer.from(`${JSON.stringify({ ...bombEvent('bomb'), userAgent: 'A'.repeat(1024 * 1024) })},`.repeat(16));
  const member = gzipSync(unit, GZ);
  const members = Math.max(1, Math.round(inflatedBytes / unit.length));
  return Buffer.concat([gzipSync('{"Records":[', GZ), ...Array.from({ length: members }, () => member), gzipSync(`${JSON.stringify(bombEvent('last'))}]}`, GZ)]);
}

/** `{"Records":[` then zeros: about `inflatedBytes` of them. */
export function zerosBomb(inflatedBytes: number): Buffer {
  const member = gzipSync(Buffer.alloc(16 * 1024 * 1024), GZ);
  return Buffer.concat([gzipSync('{"Records":[', GZ), ...Array.from({ length: Math.max(1, Math.round(inflatedBytes / (16 * 1024 * 1024))) }, () => member)]);
}

/** Peak resident memory (MiB) of a running process, from /proc while it runs; undefined where there is no /proc. */
export function watchPeak(pid: number): { stop(): number | undefined } {
  let peak: number | undefined;
  const read = () => {
    try {
      const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      if (kb !== undefined) peak = Math.max(peak ?? 0, Number(kb) / 1024);
    } catch {
      // gone, or no /proc
    }
  };
  read();
  const timer = setInterval(read, 20);
  return {
    stop() {
      read();
      clearInterval(timer);
      return peak;
    },
  };
}

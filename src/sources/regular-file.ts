import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * Opening a path that should be a file, without trusting the path: a device (`/dev/zero`,
 * `/dev/urandom`) never ends, a FIFO blocks until someone writes to it, a folder has no bytes.
 * The path is opened without blocking and checked on the open descriptor (fstat), so a file
 * swapped for a FIFO between a check and the open cannot hang the read.
 */
export class NotAFileError extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(reason);
    this.name = 'NotAFileError';
  }
}

/** What a stat says a path is, when it is not a regular file; undefined for a regular file. */
export function notAFileReason(info: Stats): string | undefined {
  if (info.isFile()) return undefined;
  if (info.isDirectory()) return 'is a folder, not a file';
  if (info.isFIFO()) return 'is a named pipe (FIFO), not a file; pipe it into standard input instead (-)';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'is a device, not a file';
  if (info.isSocket()) return 'is a socket, not a file';
  return 'is not a regular file';
}

const O_NONBLOCK = constants.O_NONBLOCK ?? 0;

/** Opens `path` for reading when it is a regular file; throws NotAFileError otherwise (and fs errors as they are). */
export function openRegularFile(path: string): { fd: number; size: number } {
  const fd = openSync(path, constants.O_RDONLY | O_NONBLOCK);
  let info: Stats;
  try {
    info = fstatSync(fd);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  const reason = notAFileReason(info);
  if (reason !== undefined) {
    closeSync(fd);
    throw new NotAFileError(path, reason);
  }
  return { fd, size: info.size };
}

/** A file that grew past what the reader takes. */
export class FileTooLargeError extends Error {
  constructor(readonly path: string, readonly limit: number) {
    super(`is larger than ${formatLimit(limit)}`);
    this.name = 'FileTooLargeError';
  }
}

export function formatLimit(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / (1024 * 1024))} MB` : `${Math.round(bytes / 1024)} KB`;
}

/**
 * Reads a regular file of at most `limit` bytes, whatever its size said (a file can grow while it
 * is read). Throws NotAFileError, FileTooLargeError or the fs error.
 */
export function readRegularFile(path: string, limit: number): Buffer {
  const { fd, size } = openRegularFile(path);
  try {
    if (size > limit) throw new FileTooLargeError(path, limit);
    let buffer = Buffer.allocUnsafe(Math.min(limit + 1, size + 1));
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > limit) throw new FileTooLargeError(path, limit);
        const bigger = Buffer.allocUnsafe(Math.min(limit + 1, buffer.length * 2));
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > limit) throw new FileTooLargeError(path, limit);
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/**
 * readRegularFile off the main thread: reads a regular file of at most `limit` bytes. Throws
 * NotAFileError, FileTooLargeError or the fs error.
 */
export async function readRegularFileAsync(path: string, limit: number): Promise<Buffer> {
  const handle = await open(path, constants.O_RDONLY | O_NONBLOCK);
  try {
    const info = await handle.stat();
    const reason = notAFileReason(info);
    if (reason !== undefined) throw new NotAFileError(path, reason);
    if (info.size > limit) throw new FileTooLargeError(path, limit);
    let buffer = Buffer.allocUnsafe(Math.min(limit + 1, info.size + 1));
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > limit) throw new FileTooLargeError(path, limit);
        const bigger = Buffer.allocUnsafe(Math.min(limit + 1, buffer.length * 2));
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > limit) throw new FileTooLargeError(path, limit);
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

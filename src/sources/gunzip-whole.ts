import { constants, Gunzip, gunzipSync, gzipSync } from 'node:zlib';

/** Thrown when a document inflates past the limit it was given. */
export class InflatesPastLimit extends Error {}

/** The parts of Node's zlib engine that its own gunzipSync drives (lib/zlib.js, processChunkSync). */
interface ZlibHandle {
  writeSync(flush: number, input: Buffer, inOffset: number, inLength: number, output: Buffer, outOffset: number, outLength: number): void;
  reset(): void;
  close(): void;
  onerror: (message: string, errno: number, code: string) => void;
}

interface Engine {
  readonly handle: ZlibHandle;
  /** [output bytes left, input bytes left] after each writeSync. */
  readonly state: Uint32Array;
}

/** zlib's error as gunzipSync throws it: the message, with `code` (Z_DATA_ERROR...) and `errno`. */
function zlibError(message: string, errno: number, code: string): Error {
  return Object.assign(new Error(message), { errno, code });
}

/** The smallest output buffer made: a document under this size costs no allocation of its own. */
const MIN_OUTPUT = 64 * 1024;

/**
 * Inflates whole gzip documents, one after another, into one output buffer that it keeps, with one
 * zlib engine reset between documents. gunzipSync builds a stream object and a zlib engine for
 * every document (about as long as inflating 20 KB) and a fresh output buffer, whose pages the
 * kernel must fault in and zero: on thousands of small files, or hundreds of large ones, that was
 * most of the inflate time. The engine is Node's own zlib handle, driven as gunzipSync drives it,
 * so the bytes and the errors are zlib's either way (multi-member files, trailing zeros and
 * garbage included); where the handle is not there as expected, each document goes through
 * gunzipSync instead.
 *
 * The buffer returned is valid until the next call: the caller copies out what it keeps.
 */
export class WholeGunzip {
  private engine: Engine | undefined;
  private output = Buffer.allocUnsafe(0);
  private failure: Error | undefined;
  private readonly useEngine: boolean;

  /**
   * `limit`: the most a document may inflate to. A document of which more than `limit` bytes come
   * out before it ends (or fails: cut short, corrupt) throws InflatesPastLimit.
   */
  constructor(
    private readonly limit: number,
    options: { engine?: boolean } = {},
  ) {
    this.useEngine = options.engine !== false && engineAvailable();
  }

  /** The inflated bytes of `gzip`. Throws InflatesPastLimit, or zlib's error (a `code` of Z_DATA_ERROR, Z_BUF_ERROR...). */
  inflate(gzip: Buffer): Buffer {
    if (!this.useEngine) return this.viaGunzipSync(gzip);
    // The gzip trailer's ISIZE (RFC 1952: the last member's size modulo 2^32) sizes the output; a
    // wrong one costs a second inflate into a buffer of the limit's size, never a wrong answer.
    const hint = gzip.length >= 18 ? gzip.readUInt32LE(gzip.length - 4) : 0;
    const wanted = Math.min(this.limit + 1, Math.max(MIN_OUTPUT, hint + 1));
    if (this.output.length < wanted) this.output = Buffer.allocUnsafe(Math.min(this.limit + 1, Math.max(wanted, 2 * this.output.length)));
    let length = this.run(gzip);
    if (length < 0 && this.output.length < this.limit + 1) {
      this.output = Buffer.allocUnsafe(this.limit + 1);
      length = this.run(gzip);
    }
    if (length < 0) throw new InflatesPastLimit();
    return this.output.subarray(0, length);
  }

  /** Inflates into this.output; the length, or -1 when the output filled it. */
  private run(gzip: Buffer): number {
    const engine = this.engine ?? (this.engine = newEngine((error) => (this.failure = error)));
    const output = this.output;
    this.failure = undefined;
    engine.handle.writeSync(constants.Z_FINISH, gzip, 0, gzip.length, output, 0, output.length);
    const failure = this.failure as Error | undefined;
    if (failure !== undefined) {
      // zlib's own code gives up on an engine after an error; so does this one.
      this.engine = undefined;
      engine.handle.close();
      throw failure;
    }
    const left = engine.state[0] as number;
    engine.handle.reset();
    return left === 0 ? -1 : output.length - left;
  }

  private viaGunzipSync(gzip: Buffer): Buffer {
    try {
      // One output piece of the limit's size, as the engine has: a document that fails after
      // passing the limit is past the limit either way.
      return gunzipSync(gzip, { maxOutputLength: this.limit, chunkSize: this.limit + 1 });
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new InflatesPastLimit();
      throw error;
    }
  }
}

function newEngine(onError: (error: Error) => void): Engine {
  const stream = new Gunzip() as unknown as { _handle?: ZlibHandle; _writeState?: Uint32Array };
  const handle = stream._handle;
  if (handle === undefined || typeof handle.writeSync !== 'function' || typeof handle.reset !== 'function' || !(stream._writeState instanceof Uint32Array)) {
    throw new Error("Node's zlib engine is not shaped as expected");
  }
  // The stream's own handler would destroy the stream and emit 'error' on it later; the error is
  // taken here instead, and thrown by the call that met it.
  handle.onerror = (message, errno, code) => onError(zlibError(message, errno, code));
  return { handle, state: stream._writeState };
}

let available: boolean | undefined;

/**
 * Whether Node's zlib handle is there and behaves as gunzipSync relies on: checked once, by
 * inflating a small document and comparing the bytes and the counts it reports.
 */
export function engineAvailable(): boolean {
  if (available === undefined) {
    try {
      const text = Buffer.from('{"Records":[]}');
      const gzip = gzipSync(text);
      let failed = false;
      const engine = newEngine(() => (failed = true));
      const output = Buffer.alloc(64);
      for (let round = 0; round < 2; round++) {
        engine.handle.writeSync(constants.Z_FINISH, gzip, 0, gzip.length, output, 0, output.length);
        failed ||= engine.state[0] !== output.length - text.length || engine.state[1] !== 0 || !output.subarray(0, text.length).equals(text);
        engine.handle.reset();
      }
      engine.handle.close();
      available = !failed;
    } catch {
      available = false;
    }
  }
  return available;
}

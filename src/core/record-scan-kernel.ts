/**
 * The scanning loop of RecordScanner in WebAssembly (assembly/record-scan.ts): 64 bytes at a time
 * with vector compares where the JavaScript loop looks at every byte. Same rules, same answers
 * (the tests run both over the same documents); used whenever this Node can compile the module.
 *
 * The module reads its own memory, so the document is copied in, a window of up to WINDOW bytes
 * at a time. A window is reused by the calls that follow for the same chunk of the same scanner
 * (`owner`); a call from anything else copies again.
 */
import { RECORD_SCAN_WASM } from './record-scan-wasm.js';

/** The parts of the WebAssembly API used here (the project's TypeScript library has no DOM types). */
interface WasmGlobal {
  readonly value: unknown;
}
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: unknown };
}

interface KernelExports {
  readonly memory: WasmMemory;
  readonly depth: WasmGlobal;
  readonly state: WasmGlobal;
  readonly errorAt: WasmGlobal;
  tableOffset(): number;
  dataOffset(): number;
  needlesOffset(): number;
  find(from: number, end: number, needle: number, length: number): number;
  scan(from: number, len: number, hexLimit: number, depth: number, state: number): number;
}

/** State bits shared with the module: the low ten are a record's (SAW_U, LOOSE, escape classes). */
export const K_SAW_U = 1;
export const K_LOOSE = 2;
export const K_CLASS_SHIFT = 2;
export const K_IN_STRING = 1 << 10;
export const K_ESCAPED = 1 << 11;
const K_CLASSES = 1 << 12;
const RESULT_SHIFT = 21;
const RESULT_END_MASK = (1 << RESULT_SHIFT) - 1;

/** Bytes copied in at a time: under 2^21, which the answer's end offset fits in. */
const WINDOW = 1 << 20;
/** Bytes after a window copied too, for the digits of a `\u` escape that straddles its end. */
const LOOKAHEAD = 8;
/** Room after the window: a 64-byte block read past its end, and the lookahead. */
const SLACK = 64 + LOOKAHEAD;
const TABLE_BYTES = 65536;
/** Room for the literals find() looks for (between the module's needles and table offsets). */
const NEEDLE_BYTES = 32 * 1024;

/** Thrown for a closing bracket with nothing open, at `offset` in the buffer. */
export class UnbalancedAt {
  constructor(readonly offset: number) {}
}

export class ScanKernel {
  private readonly memory: Uint8Array;
  private readonly dataAt: number;
  private readonly tableAt: number;
  private readonly needlesAt: number;
  /** Where each literal is in the module's memory (offsets from needlesAt). */
  private needles = new Map<Uint8Array, number>();
  private needlesUsed = 0;
  private table: Uint8Array | undefined;
  private owner: object | undefined;
  private winStart = 0;
  private winEnd = 0;
  private hexLimit = 0;
  /** After scan(): the depth and state where it stopped. */
  depth = 0;
  state = 0;

  constructor(private readonly exports: KernelExports) {
    this.dataAt = exports.dataOffset();
    this.tableAt = exports.tableOffset();
    this.needlesAt = exports.needlesOffset();
    const needed = this.dataAt + WINDOW + SLACK;
    const have = exports.memory.buffer.byteLength;
    if (have < needed) exports.memory.grow(Math.ceil((needed - have) / 65536));
    this.memory = new Uint8Array(exports.memory.buffer);
  }

  /**
   * Reads `buf` from `from` on, from `depth` and `state` (K_* bits), to the end of the value being
   * read: the offset just past it, with `state`'s low ten bits as the value's; or -1 when `buf`
   * ends first, with `depth` and `state` where it stopped. `classes`: the escape-class table, when
   * the record's escapes are to be classified. Throws UnbalancedAt.
   */
  scan(owner: object, buf: Uint8Array, from: number, depth: number, state: number, classes: Uint8Array | undefined): number {
    let f = state & ~K_CLASSES;
    if (classes !== undefined) {
      if (this.table !== classes) {
        this.memory.set(classes.subarray(0, TABLE_BYTES), this.tableAt);
        this.table = classes;
      }
      f |= K_CLASSES;
    }
    let d = depth;
    let pos = from;
    for (;;) {
      if (this.owner !== owner || pos < this.winStart || pos >= this.winEnd) this.copyWindow(owner, buf, pos);
      const answer = this.exports.scan(pos - this.winStart, this.winEnd - this.winStart, this.hexLimit, d, f);
      if (answer >= 0) {
        this.depth = 0;
        this.state = answer >>> RESULT_SHIFT;
        return this.winStart + (answer & RESULT_END_MASK);
      }
      if (answer === -2) throw new UnbalancedAt(this.winStart + (this.exports.errorAt.value as number));
      d = this.exports.depth.value as number;
      f = this.exports.state.value as number;
      if (this.winEnd >= buf.length) {
        this.depth = d;
        this.state = f & ~K_CLASSES;
        return -1;
      }
      pos = this.winEnd;
    }
  }

  /**
   * The first offset at or after `start` of the buffer whose window `owner` copied last where
   * `literal` occurs whole within that window, or -1 when it does not occur in [start,
   * searchedTo); undefined when the window does not hold all of [start, end). One call looks as
   * far as the window goes, so a literal that is rare is looked for once a window, not once a
   * record.
   */
  find(owner: object, literal: Uint8Array, start: number, end: number): number | undefined {
    if (owner !== this.owner || start < this.winStart || end > this.winEnd || literal.length > NEEDLE_BYTES) return undefined;
    let at = this.needles.get(literal);
    if (at === undefined) {
      if (this.needlesUsed + literal.length > NEEDLE_BYTES) {
        this.needles = new Map();
        this.needlesUsed = 0;
      }
      at = this.needlesUsed;
      this.memory.set(literal, this.needlesAt + at);
      this.needles.set(literal, at);
      this.needlesUsed += literal.length;
    }
    this.searchedTo = this.winEnd;
    const found = this.exports.find(start - this.winStart, this.winEnd - this.winStart, at, literal.length);
    return found < 0 ? -1 : this.winStart + found;
  }

  /** After find() returned -1: where the search stopped (the end of the window). */
  searchedTo = 0;

  private copyWindow(owner: object, buf: Uint8Array, pos: number): void {
    const end = Math.min(buf.length, pos + WINDOW);
    const ahead = Math.min(buf.length, end + LOOKAHEAD);
    this.memory.set(buf.subarray(pos, ahead), this.dataAt);
    this.owner = owner;
    this.winStart = pos;
    this.winEnd = end;
    this.hexLimit = ahead - pos;
  }
}

let kernel: ScanKernel | null | undefined;

/** This thread's kernel, or undefined where WebAssembly (with SIMD) is not there (node --jitless, say). */
export function scanKernel(): ScanKernel | undefined {
  if (kernel === undefined) {
    kernel = null;
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (wasm !== undefined) {
      try {
        const module = new wasm.Module(Buffer.from(RECORD_SCAN_WASM, 'base64'));
        const instance = new wasm.Instance(module, {});
        kernel = new ScanKernel(instance.exports as KernelExports);
      } catch {
        kernel = null;
      }
    }
  }
  return kernel ?? undefined;
}

// The inner loop of RecordScanner (src/core/record-scanner.ts) in WebAssembly with 128-bit SIMD,
// written in AssemblyScript and compiled by scripts/build-wasm.mjs into
// src/core/record-scan-wasm.ts. It finds where the JSON value being read ends, tracking strings
// and nesting only, with exactly the JavaScript loop's rules (the tests compare the two).
//
// Memory: the literals find() looks for at NEEDLES (up to 32 KiB), the escape classes of the 65,536 UTF-16 code units at TABLE, the window of the document
// being scanned at DATA, and at least 64 bytes after it (a block read past the window's end, whose
// bytes are masked off). The caller copies the table and the window in.
//
// A block of 64 bytes is decided with vector compares: the backslashes give the escaped bytes,
// the other quotes, through a prefix XOR, which bytes are inside strings; outside them, the
// brackets change the depth and bytes at or below 0x20 make the record loose. A block with a
// backslash outside a string goes byte by byte, as the JavaScript loop does.

const NEEDLES: usize = 0x8000;
const TABLE: usize = 0x10000;
const DATA: usize = 0x20000;

/**
 * State bits. The low ten are what a record's flags need: SAW_U, LOOSE and the escape classes
 * (bits 2-9); scan() returns them with the end of a value.
 */
const SAW_U: i32 = 1;
const LOOSE: i32 = 2;
const CLASS_SHIFT: i32 = 2;
const ALL_CLASSES: i32 = 0xff;
const IN_STRING: i32 = 1 << 10;
const ESCAPED: i32 = 1 << 11;
/** Set by the caller: look the code unit of each `\u` escape up in the table. */
const CLASSES: i32 = 1 << 12;
/** Where the record bits go in scan()'s answer, above the end offset. */
const RESULT_SHIFT: i32 = 21;

const QUOTE: u32 = 0x22;
const BACKSLASH: u32 = 0x5c;
const LETTER_U: u32 = 0x75;
/** `{` and `[` both read 0x7b with 0x20 set; `}` and `]` both 0x7d; no other byte does. */
const OPENING: u32 = 0x7b;
const CLOSING: u32 = 0x7d;

/** The depth and state where scan() stopped, when it returns -1 or -2. */
export let depth: i32 = 0;
export let state: i32 = 0;
/** Where scan() found a closing bracket with nothing open. */
export let errorAt: i32 = 0;

export function tableOffset(): usize {
  return TABLE;
}

export function dataOffset(): usize {
  return DATA;
}

export function needlesOffset(): usize {
  return NEEDLES;
}

function hexDigit(c: u32): i32 {
  if (c >= 0x30 && c <= 0x39) return <i32>(c - 0x30);
  if (c >= 0x61 && c <= 0x66) return <i32>(c - 0x57);
  if (c >= 0x41 && c <= 0x46) return <i32>(c - 0x37);
  return -1;
}

/** The classes of the code unit the four hex digits at `at` write (see escapeClassesAt in record-scanner.ts). */
function classesAt(at: i32, limit: i32): i32 {
  if (at + 4 > limit) return ALL_CLASSES;
  const p = DATA + <usize>at;
  const d0 = hexDigit(load<u8>(p));
  const d1 = hexDigit(load<u8>(p, 1));
  const d2 = hexDigit(load<u8>(p, 2));
  const d3 = hexDigit(load<u8>(p, 3));
  if ((d0 | d1 | d2 | d3) < 0) return 0;
  const unit = (d0 << 12) | (d1 << 8) | (d2 << 4) | d3;
  if (unit >= 0xd800 && unit <= 0xdfff) return ALL_CLASSES;
  return <i32>load<u8>(TABLE + <usize>unit);
}

// @ts-ignore: decorator
@inline
function eqMask(v: v128, c: v128): u64 {
  return <u64>(<u32>i8x16.bitmask(i8x16.eq(v, c)));
}

// @ts-ignore: decorator
@inline
function leMask(v: v128, c: v128): u64 {
  return <u64>(<u32>i8x16.bitmask(i8x16.le_u(v, c)));
}

/** Bit i: byte i of the 64 bytes in v0..v3 equals the byte in every lane of c. */
// @ts-ignore: decorator
@inline
function eq64(v0: v128, v1: v128, v2: v128, v3: v128, c: v128): u64 {
  return eqMask(v0, c) | (eqMask(v1, c) << 16) | (eqMask(v2, c) << 32) | (eqMask(v3, c) << 48);
}

/** Bit i: byte i of the 64 bytes in v0..v3 is at most the byte in every lane of c. */
// @ts-ignore: decorator
@inline
function le64(v0: v128, v1: v128, v2: v128, v3: v128, c: v128): u64 {
  return leMask(v0, c) | (leMask(v1, c) << 16) | (leMask(v2, c) << 32) | (leMask(v3, c) << 48);
}

/** Bit i: the XOR of bits 0..i of x. */
// @ts-ignore: decorator
@inline
function prefixXor(x: u64): u64 {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}

/** `f` with SAW_U, and the classes of each `\u` escape whose `u` is a bit of `unicode` (block at p). */
function escapes(f: i32, unicode: u64, p: i32, hexLimit: i32): i32 {
  f |= SAW_U;
  if ((f & CLASSES) == 0) return f;
  while (unicode != 0) {
    f |= classesAt(p + <i32>ctz(unicode) + 1, hexLimit) << CLASS_SHIFT;
    unicode &= unicode - 1;
  }
  return f;
}

/**
 * Reads the window DATA[from, len) (len < 2^21) on from `d` and `f`. Returns the offset just past
 * the byte that closes the value, with the state's low ten bits above it (RESULT_SHIFT); -1 when
 * the window ends first (`depth` and `state` hold where it stopped); -2 for a closing bracket with
 * nothing open (at `errorAt`). `hexLimit` (>= len): how far the bytes after the window are there
 * for a `\u` escape's digits.
 */
export function scan(from: i32, len: i32, hexLimit: i32, d: i32, f: i32): i32 {
  let p = from;
  const quote = i8x16.splat(<i8>QUOTE);
  const backslash = i8x16.splat(<i8>BACKSLASH);
  const opening = i8x16.splat(<i8>OPENING);
  const closing = i8x16.splat(<i8>CLOSING);
  const x20 = i8x16.splat(0x20);
  const letterU = i8x16.splat(<i8>LETTER_U);
  while (p < len) {
    const at = DATA + <usize>p;
    const n = len - p;
    const v0 = v128.load(at);
    const v1 = v128.load(at, 16);
    const v2 = v128.load(at, 32);
    const v3 = v128.load(at, 48);
    const valid: u64 = n >= 64 ? <u64>-1 : ((<u64>1 << <u64>n) - 1);
    const b = eq64(v0, v1, v2, v3, backslash) & valid;
    // The escaped bytes: the one after each backslash that is not itself escaped, from the
    // first byte on when the block before ended on an escape's backslash. `carry`: this
    // block's last byte starts an escape.
    let escaped: u64 = (f & ESCAPED) != 0 ? 1 : 0;
    let carry = false;
    if (b != 0) {
      let starts = b & ~escaped;
      while (starts != 0) {
        const i = ctz(starts);
        starts &= starts - 1;
        if (<i32>i == n - 1 || i == 63) {
          carry = true;
        } else {
          const next: u64 = <u64>1 << (i + 1);
          escaped |= next;
          starts &= ~next;
        }
      }
    }
    const q = eq64(v0, v1, v2, v3, quote) & valid & ~escaped;
    const inside = prefixXor(q) ^ ((f & IN_STRING) != 0 ? <u64>-1 : 0);
    // Escapes are read as such only inside strings: a backslash outside one (not JSON) sends the
    // block byte by byte, where it is a byte like any other.
    if ((b & ~inside) == 0) {
      const w0 = v128.or(v0, x20);
      const w1 = v128.or(v1, x20);
      const w2 = v128.or(v2, x20);
      const w3 = v128.or(v3, x20);
      const open = eq64(w0, w1, w2, w3, opening);
      const close = eq64(w0, w1, w2, w3, closing);
      const outside = ~inside & valid;
      let brackets = (open | close) & outside;
      const low = le64(v0, v1, v2, v3, x20);
      const loose = low & outside;
      // The `\u` escapes: an escaped `u`.
      const unicode = escaped == 0 ? 0 : eq64(v0, v1, v2, v3, letterU) & escaped & valid;
      while (brackets != 0) {
        const i = ctz(brackets);
        const bit: u64 = <u64>1 << i;
        if ((open & bit) != 0) {
          d++;
        } else {
          d--;
          if (d == 0) {
            // Bytes after the value are not looked at.
            const upTo = bit | (bit - 1);
            if ((loose & upTo) != 0) f |= LOOSE;
            if ((unicode & upTo) != 0) f = escapes(f, unicode & upTo, p, hexLimit);
            return (p + <i32>i + 1) | ((f & 0x3ff) << RESULT_SHIFT);
          }
          if (d < 0) {
            errorAt = p + <i32>i;
            return -2;
          }
        }
        brackets &= brackets - 1;
      }
      if (loose != 0) f |= LOOSE;
      if (unicode != 0) f = escapes(f, unicode, p, hexLimit);
      const last = n >= 64 ? 63 : n - 1;
      if (((inside >> <u64>last) & 1) != 0) f |= IN_STRING;
      else f &= ~IN_STRING;
      if (carry) f |= ESCAPED;
      else f &= ~ESCAPED;
      p += 64;
      continue;
    }
    // Byte by byte, as the JavaScript loop goes.
    const end = n >= 64 ? p + 64 : len;
    for (let i = p; i < end; i++) {
      const c = <u32>load<u8>(DATA + <usize>i);
      if ((f & IN_STRING) != 0) {
        if ((f & ESCAPED) != 0) {
          f &= ~ESCAPED;
          if (c == LETTER_U) {
            f |= SAW_U;
            if ((f & CLASSES) != 0) f |= classesAt(i + 1, hexLimit) << CLASS_SHIFT;
          }
        } else if (c == QUOTE) {
          f &= ~IN_STRING;
        } else if (c == BACKSLASH) {
          f |= ESCAPED;
        }
      } else if (c == QUOTE) {
        f |= IN_STRING;
      } else if ((c | 0x20) == OPENING) {
        d++;
      } else if ((c | 0x20) == CLOSING) {
        d--;
        if (d == 0) return (i + 1) | ((f & 0x3ff) << RESULT_SHIFT);
        if (d < 0) {
          errorAt = i;
          return -2;
        }
      } else if (c <= 0x20) {
        f |= LOOSE;
      }
    }
    p = end;
  }
  depth = d;
  state = f;
  return -1;
}

/**
 * The first offset in [from, end - length] where the window holds the `length` bytes at
 * NEEDLES + needle, or -1. Candidates are the offsets whose first and last bytes match, 16 at a
 * time; each is then compared byte by byte. Reads up to 15 bytes past `end`.
 */
export function find(from: i32, end: i32, needle: i32, length: i32): i32 {
  const last = end - length;
  if (length <= 0 || last < from) return length <= 0 && from <= end ? from : -1;
  const pattern = NEEDLES + <usize>needle;
  const first = i8x16.splat(load<u8>(pattern));
  const final = i8x16.splat(load<u8>(pattern + <usize>(length - 1)));
  for (let i = from; i <= last; i += 16) {
    const at = DATA + <usize>i;
    let candidates = i8x16.bitmask(v128.and(i8x16.eq(v128.load(at), first), i8x16.eq(v128.load(at + <usize>(length - 1)), final)));
    if (last - i < 15) candidates &= (1 << (last - i + 1)) - 1;
    while (candidates != 0) {
      const k = ctz(candidates);
      const p = at + <usize>k;
      let j = 1;
      while (j < length - 1 && load<u8>(p + <usize>j) == load<u8>(pattern + <usize>j)) j++;
      if (j >= length - 1) return i + k;
      candidates &= candidates - 1;
    }
  }
  return -1;
}

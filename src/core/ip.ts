/**
 * IP address and CIDR matching for `sourceIPAddress`.
 *
 * A spec is parsed once into a matcher closure; the matcher then parses each record's address by
 * char codes into module-level scratch state, so matching allocates nothing.
 *
 * Decisions:
 * - Dotted quads are strict: exactly four decimal octets 0-255 without leading zeros. `01.2.3.4`
 *   is rejected because some tools read a leading zero as octal (`010` = 8).
 * - IPv6 accepts every RFC 4291 text form: full, `::`-compressed, and with an embedded dotted quad
 *   in the last 32 bits (`::ffff:1.2.3.4`, `64:ff9b::10.0.0.1`).
 * - Zone indexes (`fe80::1%eth0`) are rejected in specs and never match: a zone only means something
 *   on one host's links, and CloudTrail never reports one.
 * - An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is treated as the IPv4 address a.b.c.d, on both
 *   sides: `10.0.0.0/8` matches `::ffff:10.1.2.3`, and the spec `::ffff:10.0.0.0/104` is the same as
 *   `10.0.0.0/8`. Dual-stack endpoints report IPv4 clients in that form, and it is the same host.
 *   So IPv4 and IPv6 are two disjoint families: an IPv6 spec that is not a mapped address with a
 *   prefix of at least 96 (`::/0`, `2001:db8::/32`, `::ffff:0:0/95`) never matches an IPv4 address.
 * - A CIDR with bits set after the prefix (`10.1.2.3/8`) is rejected with the network it probably
 *   meant, since it is either a typo or a host written where a network was intended.
 */

export class InvalidCidrError extends Error {
  override name = 'InvalidCidrError';
}

/** Longest textual address: `ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`. */
const MAX_ADDRESS_LENGTH = 45;

const FAMILY_NONE = 0;
const FAMILY_V4 = 4;
const FAMILY_V6 = 6;
type Family = typeof FAMILY_NONE | typeof FAMILY_V4 | typeof FAMILY_V6;

const COLON = 58;
const DOT = 46;

// Scratch state written by parseAddress. For FAMILY_V4 only w3 is meaningful.
const GROUPS = new Uint16Array(8);
let w0 = 0;
let w1 = 0;
let w2 = 0;
let w3 = 0;

/** Dotted quad in s[start, end) as 0..2^32-1, or -1. */
function parseV4(s: string, start: number, end: number): number {
  let value = 0;
  let octets = 0;
  let i = start;
  for (;;) {
    if (i >= end) return -1;
    let c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    let octet = c;
    i++;
    while (i < end) {
      c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      if (octet === 0) return -1; // leading zero
      octet = octet * 10 + c;
      if (octet > 255) return -1;
      i++;
    }
    value = value * 256 + octet;
    if (++octets === 4) return i === end ? value : -1;
    if (i >= end || s.charCodeAt(i) !== DOT) return -1;
    i++;
  }
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  c |= 0x20; // ASCII lower case
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** IPv6 text in s[0, end) into GROUPS; false when malformed. */
function parseV6Groups(s: string, end: number): boolean {
  let n = 0;
  let gap = -1;
  let i = 0;
  if (s.charCodeAt(0) === COLON) {
    if (s.charCodeAt(1) !== COLON) return false;
    gap = 0;
    i = 2;
  }
  while (i < end) {
    let j = i;
    let value = 0;
    while (j < end) {
      const h = hexValue(s.charCodeAt(j));
      if (h < 0) break;
      value = value * 16 + h;
      j++;
    }
    if (j < end && s.charCodeAt(j) === DOT) {
      // Embedded dotted quad: the last 32 bits.
      if (n > 6) return false;
      const v4 = parseV4(s, i, end);
      if (v4 < 0) return false;
      GROUPS[n++] = v4 >>> 16;
      GROUPS[n++] = v4 & 0xffff;
      break;
    }
    const digits = j - i;
    if (digits === 0 || digits > 4 || n === 8) return false;
    GROUPS[n++] = value;
    if (j === end) break;
    if (s.charCodeAt(j) !== COLON) return false;
    j++;
    if (j < end && s.charCodeAt(j) === COLON) {
      if (gap >= 0) return false;
      gap = n;
      j++;
    } else if (j === end) {
      return false; // trailing single colon
    }
    i = j;
  }
  if (gap < 0) return n === 8;
  if (n > 7) return false; // `::` stands for at least one group
  const tail = n - gap;
  for (let k = tail - 1; k >= 0; k--) GROUPS[8 - tail + k] = GROUPS[gap + k] as number;
  for (let k = gap; k < 8 - tail; k++) GROUPS[k] = 0;
  return true;
}

/**
 * Parses an address into the scratch words. IPv4 and IPv4-mapped IPv6 give FAMILY_V4 with the
 * address in w3; other IPv6 give FAMILY_V6 with w0..w3 (as int32).
 */
function parseAddress(s: string): Family {
  const end = s.length;
  if (end < 2 || end > MAX_ADDRESS_LENGTH) return FAMILY_NONE;
  if (s.indexOf(':') < 0) {
    const v4 = parseV4(s, 0, end);
    if (v4 < 0) return FAMILY_NONE;
    w3 = v4 | 0;
    return FAMILY_V4;
  }
  if (!parseV6Groups(s, end)) return FAMILY_NONE;
  const g = GROUPS;
  w0 = ((g[0] as number) << 16) | (g[1] as number);
  w1 = ((g[2] as number) << 16) | (g[3] as number);
  w2 = ((g[4] as number) << 16) | (g[5] as number);
  w3 = ((g[6] as number) << 16) | (g[7] as number);
  return w0 === 0 && w1 === 0 && w2 === 0xffff ? FAMILY_V4 : FAMILY_V6;
}

/** True when s is an IPv4 or IPv6 address in any accepted textual form (no CIDR, no zone). */
export function isIpAddress(s: string): boolean {
  return typeof s === 'string' && parseAddress(s) !== FAMILY_NONE;
}

/** Mask for the 32-bit word that holds bits [32 * word, 32 * word + 32) of a prefix. */
function wordMask(prefix: number, word: number): number {
  const bits = Math.min(32, Math.max(0, prefix - 32 * word));
  return bits === 0 ? 0 : (-1 << (32 - bits)) | 0;
}

/**
 * Compiles an address or CIDR spec into a predicate over `sourceIPAddress` values. The predicate
 * returns false for anything that is not an address (service names, `AWS Internal`, garbage).
 */
export function parseIpMatcher(spec: string): (address: string) => boolean {
  const slash = typeof spec === 'string' ? spec.indexOf('/') : -1;
  if (typeof spec !== 'string' || spec.length === 0) fail(spec, 'empty address or CIDR');
  if (/\s/.test(spec)) fail(spec, 'contains whitespace');
  const percent = spec.indexOf('%');
  if (percent >= 0) {
    fail(spec, `zone index (${spec.slice(percent, slash > percent ? slash : undefined)}) is not supported`);
  }
  const addressText = slash < 0 ? spec : spec.slice(0, slash);
  if (addressText.length === 0) fail(spec, "missing address before '/'");

  const family = parseAddress(addressText);
  if (family === FAMILY_NONE) fail(spec, diagnoseAddress(addressText));
  const writtenAsV6 = addressText.includes(':');
  const maxPrefix = writtenAsV6 ? 128 : 32;
  let prefix = maxPrefix;
  if (slash >= 0) {
    const prefixText = spec.slice(slash + 1);
    if (prefixText.length === 0) fail(spec, "missing prefix length after '/'");
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(prefixText)) {
      fail(spec, `prefix length '${prefixText}' must be a decimal number without leading zeros`);
    }
    prefix = Number(prefixText);
    if (prefix > maxPrefix) {
      fail(spec, `prefix length must be 0-${maxPrefix} for ${writtenAsV6 ? 'IPv6' : 'IPv4'}`);
    }
  }

  if (family === FAMILY_V4 && (!writtenAsV6 || prefix >= 96)) {
    const v4Prefix = writtenAsV6 ? prefix - 96 : prefix;
    const mask = wordMask(v4Prefix, 0);
    const net = w3 & mask;
    if (net !== w3) {
      const network = formatV4(net);
      fail(spec, `host bits are set after /${prefix} (did you mean ${writtenAsV6 ? `::ffff:${network}` : network}/${prefix}?)`);
    }
    return (address) => typeof address === 'string' && parseAddress(address) === FAMILY_V4 && (w3 & mask) === net;
  }

  const m0 = wordMask(prefix, 0);
  const m1 = wordMask(prefix, 1);
  const m2 = wordMask(prefix, 2);
  const m3 = wordMask(prefix, 3);
  const n0 = w0 & m0;
  const n1 = w1 & m1;
  const n2 = w2 & m2;
  const n3 = w3 & m3;
  if (n0 !== w0 || n1 !== w1 || n2 !== w2 || n3 !== w3) {
    fail(spec, `host bits are set after /${prefix} (did you mean ${formatV6([n0, n1, n2, n3])}/${prefix}?)`);
  }
  return (address) =>
    typeof address === 'string' &&
    parseAddress(address) === FAMILY_V6 &&
    (w0 & m0) === n0 &&
    (w1 & m1) === n1 &&
    (w2 & m2) === n2 &&
    (w3 & m3) === n3;
}

function formatV4(value: number): string {
  return `${(value >>> 24) & 255}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** RFC 5952 text: lower-case hex, the longest run of two or more zero groups as `::`. */
function formatV6(words: readonly number[]): string {
  const groups: number[] = [];
  for (const w of words) groups.push((w >>> 16) & 0xffff, w & 0xffff);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) => groups.slice(from, to).map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

/** Why an address that failed to parse is malformed; only runs on the error path. */
function diagnoseAddress(text: string): string {
  if (text.includes(':')) return diagnoseV6(text);
  if (!/[0-9]/.test(text)) return 'not an IP address (expected IPv4 or IPv6, optionally with /prefix)';
  return diagnoseV4(text);
}

function diagnoseV4(text: string): string {
  const parts = text.split('.');
  if (parts.length !== 4) return `expected 4 dot-separated octets, found ${parts.length}`;
  for (const part of parts) {
    if (part.length === 0) return 'empty octet';
    if (!/^[0-9]+$/.test(part)) return `octet '${part}' is not a decimal number`;
    if (part.length > 1 && part.startsWith('0')) return `octet '${part}' has a leading zero (octal or decimal?)`;
    if (Number(part) > 255) return `octet ${part} is out of range 0-255`;
  }
  return 'not a valid IPv4 address';
}

function diagnoseV6(text: string): string {
  const bad = /[^0-9a-fA-F:.]/.exec(text);
  if (bad) return `unexpected character '${bad[0]}' in IPv6 address`;
  if (text.includes(':::')) return "':::' is not valid in an IPv6 address";
  const gaps = text.split('::').length - 1;
  if (gaps > 1) return "'::' may appear only once in an IPv6 address";
  if (/^:[^:]/.test(text)) return 'IPv6 address starts with a single colon';
  if (/[^:]:$/.test(text)) return 'IPv6 address ends with a single colon';
  const groups = text.split(/::?/).filter((g) => g.length > 0);
  const dotted = groups.findIndex((g) => g.includes('.'));
  if (dotted >= 0 && dotted !== groups.length - 1) return 'an embedded IPv4 address must come last';
  if (dotted >= 0 && parseV4(groups[dotted] as string, 0, (groups[dotted] as string).length) < 0) {
    return `embedded IPv4 address: ${diagnoseV4(groups[dotted] as string)}`;
  }
  const long = groups.find((g) => !g.includes('.') && g.length > 4);
  if (long !== undefined) return `group '${long}' has more than 4 hex digits`;
  const count = groups.length + (dotted >= 0 ? 1 : 0);
  if (gaps === 0 && count !== 8) return `expected 8 groups, found ${count}`;
  if (gaps === 1 && count > 7) return `too many groups for '::' (${count})`;
  return 'not a valid IPv6 address';
}

function fail(spec: unknown, why: string): never {
  throw new InvalidCidrError(`${quote(String(spec))}: ${why}`);
}

/** Quotes a spec for a one-line message, escaping anything that could break the line. */
function quote(s: string): string {
  const escaped = s.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g, (c) => {
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
  return `'${escaped}'`;
}

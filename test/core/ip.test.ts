import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidCidrError, isIpAddress, parseIpMatcher } from '../../src/core/ip.js';

describe('parseIpMatcher', () => {
  const cases: [spec: string, matches: string[], misses: string[]][] = [
    // IPv4 exact
    ['203.0.113.7', ['203.0.113.7', '::ffff:203.0.113.7', '::FFFF:cb00:7107'], ['203.0.113.8', '203.0.113.70', '203.0.113.', '::203.0.113.7', '64:ff9b::203.0.113.7']],
    ['0.0.0.0', ['0.0.0.0', '::ffff:0.0.0.0'], ['0.0.0.1', '::']],
    ['255.255.255.255', ['255.255.255.255'], ['255.255.255.254', '0.0.0.0']],
    // IPv4 CIDR with boundaries
    ['10.0.0.0/8', ['10.0.0.0', '10.255.255.255', '10.1.2.3', '::ffff:10.0.0.1', '::ffff:a00:1'], ['9.255.255.255', '11.0.0.0', '110.0.0.1', '::10.0.0.1', '10.0.0.0/8']],
    ['192.168.1.0/24', ['192.168.1.0', '192.168.1.255'], ['192.168.0.255', '192.168.2.0']],
    ['198.51.100.128/25', ['198.51.100.128', '198.51.100.255'], ['198.51.100.127', '198.51.101.0']],
    ['172.16.0.0/12', ['172.16.0.0', '172.31.255.255'], ['172.15.255.255', '172.32.0.0']],
    ['128.0.0.0/1', ['128.0.0.0', '255.255.255.255'], ['127.255.255.255', '0.0.0.0']],
    ['0.0.0.0/1', ['0.0.0.0', '127.255.255.255'], ['128.0.0.0']],
    ['203.0.113.7/32', ['203.0.113.7'], ['203.0.113.6', '203.0.113.8']],
    ['0.0.0.0/0', ['0.0.0.0', '255.255.255.255', '1.2.3.4', '::ffff:1.2.3.4'], ['::1', '2001:db8::1', '::', 'lambda.amazonaws.com']],
    // IPv6 exact, every textual form of the same address
    ['2001:db8::1', ['2001:db8::1', '2001:DB8::1', '2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8:0:0:0:0:0:1', '2001:db8::0:1', '2001:db8::0.0.0.1'], ['2001:db8::2', '2001:db8::', '2001:db8:1::1', '1.2.3.4']],
    ['::1', ['::1', '0:0:0:0:0:0:0:1', '::0:1'], ['::', '::2', '1::', '127.0.0.1', '::ffff:127.0.0.1']],
    ['::', ['::', '0:0:0:0:0:0:0:0', '::0', '0::0'], ['::1', '0.0.0.0', '::ffff:0.0.0.0']],
    ['fe80::1:2', ['fe80:0:0:0:0:0:1:2', 'FE80::1:2'], ['fe80::1:3', 'fe80::1:2%eth0']],
    ['1:2:3:4:5:6:7::', ['1:2:3:4:5:6:7:0'], ['1:2:3:4:5:6:7:1']],
    ['::2:3:4:5:6:7:8', ['0:2:3:4:5:6:7:8'], ['1:2:3:4:5:6:7:8']],
    ['64:ff9b::192.0.2.33', ['64:ff9b::c000:221', '64:ff9b:0:0:0:0:192.0.2.33'], ['192.0.2.33', '64:ff9b::c000:222']],
    // IPv6 CIDR with boundaries
    ['2001:db8::/32', ['2001:db8::', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', '2001:db8:1234::1'], ['2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', '2001:db9::', '2001:db80::', '32.1.13.184']],
    ['2001:db8:1234:5600::/56', ['2001:db8:1234:5600::', '2001:db8:1234:56ff:ffff:ffff:ffff:ffff'], ['2001:db8:1234:55ff:ffff:ffff:ffff:ffff', '2001:db8:1234:5700::']],
    ['2001:db8::8000:0/97', ['2001:db8::8000:0', '2001:db8::ffff:ffff'], ['2001:db8::7fff:ffff', '2001:db8::1:0:0']],
    ['2001:db8::/127', ['2001:db8::', '2001:db8::1'], ['2001:db8::2']],
    ['2001:db8::1/128', ['2001:db8::1'], ['2001:db8::', '2001:db8::2']],
    ['8000::/1', ['8000::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'], ['7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '::']],
    ['::/0', ['::', '::1', '2001:db8::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '::fffe:0:1'], ['1.2.3.4', '::ffff:1.2.3.4', '::ffff:0:1', '0.0.0.0', 'AWS Internal']],
    // IPv4-mapped specs are IPv4 specs
    ['::ffff:10.0.0.0/104', ['10.0.0.0', '10.255.255.255', '::ffff:10.9.8.7'], ['11.0.0.0', '::10.0.0.1']],
    ['::ffff:0:0/96', ['0.0.0.0', '255.255.255.255', '::ffff:1.2.3.4'], ['::1', '::1.2.3.4', '2001:db8::']],
    ['::ffff:1.2.3.4', ['1.2.3.4', '::ffff:1.2.3.4', '0:0:0:0:0:ffff:102:304'], ['1.2.3.5', '::1.2.3.4']],
  ];

  it.each(cases)('%s', (spec, matches, misses) => {
    const matcher = parseIpMatcher(spec);
    expect(matches.filter((a) => !matcher(a))).toEqual([]);
    expect(misses.filter((a) => matcher(a))).toEqual([]);
  });

  const notAddresses = [
    'lambda.amazonaws.com',
    'AWS Internal',
    'cloudtrail.amazonaws.com',
    'internal',
    '',
    ' 10.0.0.1',
    '10.0.0.1 ',
    '10.0.0.1\n',
    '10.0.0.01',
    '010.0.0.1',
    '10.0.0',
    '10.0.0.1.5',
    '10.0.0.256',
    '10..0.1',
    '10.0.0.1/8',
    '10.0.0.1%eth0',
    '::ffff:10.0.0.1%eth0',
    '::ffff:10.0.0.01',
    '::ffff:10.0.0.1.2',
    ':::',
    '1:::2',
    '::ffff:10.0.0.1:1',
    'abc',
    '\u0000',
    'x'.repeat(10_000),
    '１０.0.0.1', // full-width digits
  ];

  it.each(notAddresses)('never matches non-address %j', (address) => {
    for (const spec of ['0.0.0.0/0', '::/0', '10.0.0.0/8', '::ffff:0:0/96']) {
      expect(parseIpMatcher(spec)(address)).toBe(false);
    }
  });

  it('does not throw on non-string values at run time', () => {
    const matcher = parseIpMatcher('0.0.0.0/0') as (a: unknown) => boolean;
    for (const value of [undefined, null, 42, {}, ['1.2.3.4']]) expect(matcher(value)).toBe(false);
  });

  it('keeps matchers independent when several are used in turn', () => {
    const v4 = parseIpMatcher('10.0.0.0/8');
    const v6 = parseIpMatcher('2001:db8::/32');
    expect([v4('10.1.1.1'), v6('10.1.1.1'), v6('2001:db8::1'), v4('2001:db8::1'), v4('10.2.2.2')]).toEqual([true, false, true, false, true]);
  });

  const malformed: [spec: string, reason: string][] = [
    ['', 'empty'],
    ['/', "missing address before '/'"],
    ['/8', "missing address before '/'"],
    ['1.2.3.4/', "missing prefix length after '/'"],
    ['10.0.0.0/33', 'prefix length must be 0-32 for IPv4'],
    ['10.0.0.0/99', 'prefix length must be 0-32 for IPv4'],
    ['2001:db8::/129', 'prefix length must be 0-128 for IPv6'],
    ['::ffff:1.2.3.4/129', 'prefix length must be 0-128 for IPv6'],
    ['10.0.0.0/-1', "prefix length '-1' must be a decimal number"],
    ['10.0.0.0/08', "prefix length '08' must be a decimal number"],
    ['10.0.0.0/8/8', "prefix length '8/8' must be a decimal number"],
    ['10.0.0.0/ 8', 'contains whitespace'],
    ['10.0.0.0/1e1', "prefix length '1e1' must be a decimal number"],
    ['10.0.0.0/x', "prefix length 'x' must be a decimal number"],
    ['10.0.0.0/1000', "prefix length '1000' must be a decimal number"],
    ['300.1.1.1', 'octet 300 is out of range 0-255'],
    ['1.2.3.256', 'octet 256 is out of range 0-255'],
    ['1.2.3', 'expected 4 dot-separated octets, found 3'],
    ['1.2.3.4.5', 'expected 4 dot-separated octets, found 5'],
    ['01.2.3.4', "octet '01' has a leading zero"],
    ['1.2.3.00', "octet '00' has a leading zero"],
    ['1..3.4', 'empty octet'],
    ['1.2.3.4.', 'expected 4 dot-separated octets, found 5'],
    ['1.2.3.a', "octet 'a' is not a decimal number"],
    ['1.2.3.+4', "octet '+4' is not a decimal number"],
    [' 1.2.3.4', 'contains whitespace'],
    ['1.2.3.4 ', 'contains whitespace'],
    ['1.2.3.4\t', 'contains whitespace'],
    ['1.2. 3.4', 'contains whitespace'],
    ['lambda.amazonaws.com', 'not an IP address'],
    ['AWS Internal', 'contains whitespace'],
    ['localhost', 'not an IP address'],
    ['::1::', "'::' may appear only once"],
    ['1::2::3', "'::' may appear only once"],
    [':::', "':::' is not valid"],
    ['1:::2', "':::' is not valid"],
    [':1:2:3:4:5:6:7', 'starts with a single colon'],
    ['1:2:3:4:5:6:7:', 'ends with a single colon'],
    ['1:2:3:4:5:6:7', 'expected 8 groups, found 7'],
    ['1:2:3:4:5:6:7:8:9', 'expected 8 groups, found 9'],
    ['1:2:3:4::5:6:7:8', "too many groups for '::' (8)"],
    ['12345::', "group '12345' has more than 4 hex digits"],
    ['2001:db8::g', "unexpected character 'g'"],
    ['::ffff:1.2.3', 'embedded IPv4 address: expected 4 dot-separated octets, found 3'],
    ['::ffff:1.2.3.04', "embedded IPv4 address: octet '04' has a leading zero"],
    ['::1.2.3.4:5', 'an embedded IPv4 address must come last'],
    ['1:2:3:4:5:6:7:1.2.3.4', 'expected 8 groups, found 9'],
    ['fe80::1%eth0', 'zone index (%eth0) is not supported'],
    ['fe80::%eth0/64', 'zone index (%eth0) is not supported'],
    ['10.1.2.3/8', 'host bits are set after /8 (did you mean 10.0.0.0/8?)'],
    ['192.168.1.10/24', 'host bits are set after /24 (did you mean 192.168.1.0/24?)'],
    ['2001:db8::1/32', 'host bits are set after /32 (did you mean 2001:db8::/32?)'],
    ['2001:db8:0:1:0:0:1:0/64', 'host bits are set after /64 (did you mean 2001:db8:0:1::/64?)'],
    ['::ffff:10.1.0.0/104', 'host bits are set after /104 (did you mean ::ffff:10.0.0.0/104?)'],
    ['::ffff:0.0.0.0/80', 'host bits are set after /80 (did you mean ::/80?)'],
    ['1.2.3.4\n', 'contains whitespace'],
  ];

  it.each(malformed)('rejects %j', (spec, reason) => {
    let thrown: unknown;
    try {
      parseIpMatcher(spec);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidCidrError);
    const message = (thrown as Error).message;
    expect(message).toContain(reason);
    expect(message).not.toMatch(/[\n\r]/);
    if (!/[\n\t]/.test(spec)) expect(message.startsWith(`'${spec}': `)).toBe(true);
  });

  it('names the exact spec and reason in the message', () => {
    expect(() => parseIpMatcher('10.0.0.0/33')).toThrow(new InvalidCidrError("'10.0.0.0/33': prefix length must be 0-32 for IPv4"));
    expect(() => parseIpMatcher('1.2.3.4\n')).toThrow("'1.2.3.4\\u000a': contains whitespace");
  });

  it('agrees with a reference model on random IPv4 CIDRs', () => {
    const toText = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.integer({ min: 0, max: 32 }), fc.nat({ max: 0xffffffff }), (base, prefix, candidate) => {
        const size = 2 ** (32 - prefix);
        const network = Math.floor(base / size) * size;
        const matcher = parseIpMatcher(`${toText(network)}/${prefix}`);
        const expected = candidate >= network && candidate < network + size;
        expect(matcher(toText(candidate))).toBe(expected);
        expect(matcher(toText(network))).toBe(true);
        expect(matcher(toText(network + size - 1))).toBe(true);
        if (network > 0) expect(matcher(toText(network - 1))).toBe(false);
        if (network + size <= 0xffffffff) expect(matcher(toText(network + size))).toBe(false);
      }),
    );
  });

  it('agrees with a reference model on random IPv6 CIDRs', () => {
    const groupsArb = fc.array(fc.nat({ max: 0xffff }), { minLength: 8, maxLength: 8 });
    const toBig = (g: number[]) => g.reduce((acc, x) => (acc << 16n) | BigInt(x), 0n);
    const full = (g: number[]) => g.map((x) => x.toString(16)).join(':');
    fc.assert(
      fc.property(groupsArb, fc.integer({ min: 0, max: 128 }), groupsArb, (base, prefix, candidate) => {
        // Keep out of the mapped range, which is IPv4 by decision.
        base[0] = base[0]! | 1;
        const hostBits = BigInt(128 - prefix);
        const network = (toBig(base) >> hostBits) << hostBits;
        const netGroups = Array.from({ length: 8 }, (_, i) => Number((network >> BigInt(112 - 16 * i)) & 0xffffn));
        const matcher = parseIpMatcher(`${full(netGroups)}/${prefix}`);
        const c = toBig(candidate);
        const isMapped = c >> 32n === 0xffffn;
        expect(matcher(full(candidate))).toBe(!isMapped && c >> hostBits === network >> hostBits);
        expect(matcher(full(netGroups))).toBe(true);
      }),
    );
  });

  it('never throws on arbitrary candidate strings', () => {
    const matchers = ['10.0.0.0/8', '::/0', '0.0.0.0/0', '2001:db8::/32'].map(parseIpMatcher);
    const unit = fc.constantFrom(...'0123456789abcdefABCDEF:.%/ fgx'.split(''));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit, maxLength: 50 })), (s) => {
        for (const m of matchers) expect(typeof m(s)).toBe('boolean');
      }),
    );
  });

  it('either parses or throws InvalidCidrError for arbitrary specs', () => {
    const unit = fc.constantFrom(...'0123456789abcdef:./% '.split(''));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit, maxLength: 50 })), (spec) => {
        try {
          parseIpMatcher(spec);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidCidrError);
        }
      }),
    );
  });
});

describe('isIpAddress', () => {
  const table: [string, boolean][] = [
    ['1.2.3.4', true],
    ['0.0.0.0', true],
    ['255.255.255.255', true],
    ['::', true],
    ['::1', true],
    ['2001:db8::1', true],
    ['::ffff:1.2.3.4', true],
    ['ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255', true],
    ['1:2:3:4:5:6:7:8', true],
    ['1.2.3', false],
    ['01.2.3.4', false],
    ['256.1.1.1', false],
    ['1.2.3.4/32', false],
    ['::/0', false],
    ['fe80::1%eth0', false],
    ['::1::', false],
    ['1:2:3:4:5:6:7:8:9', false],
    ['1:2:3:4:5:6:7:8::', false],
    ['::1:2:3:4:5:6:7:8', false],
    ['lambda.amazonaws.com', false],
    ['AWS Internal', false],
    ['', false],
  ];
  it.each(table)('%j -> %s', (s, expected) => {
    expect(isIpAddress(s)).toBe(expected);
  });
});

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DocumentSearch, searchDocument } from '../../src/core/document-search.js';
import { ANY_RECORD } from '../../src/core/needle.js';
import { compileFilter, type CompiledFilter, type FilterSpec } from '../../src/core/record-filter.js';
import { SHARED_DATA } from '../helpers/cli.js';

function ids(buf: Buffer, filter: CompiledFilter): string[] {
  const out: string[] = [];
  searchDocument(buf, filter, (m) => {
    out.push(`${m.index}:${m.raw}`);
  });
  return out;
}

/** ids(), with the document pushed in pieces of `size` bytes: escapes and records cut anywhere. */
function chunkedIds(buf: Buffer, filter: CompiledFilter, size: number): string[] {
  const out: string[] = [];
  const search = new DocumentSearch(filter, (m) => {
    out.push(`${m.index}:${m.raw}`);
  });
  let going = true;
  for (let at = 0; going && at < buf.length; at += size) going = search.push(buf.subarray(at, at + size));
  if (going) search.end();
  return out;
}

/** The same filter without its needle: every record is parsed and tested. */
function exhaustive(filter: CompiledFilter): CompiledFilter {
  return { ...filter, needle: ANY_RECORD, needleFor: () => ANY_RECORD, test: filter.test };
}

const rec = (fields: Record<string, unknown>) => ({ eventVersion: '1.08', eventTime: '2026-11-20T10:00:00Z', eventSource: 'ec2.amazonaws.com', eventName: 'DescribeInstances', ...fields });

describe('searchDocument', () => {
  it('returns each match with its index and its own text, compacted to one line', () => {
    const text = JSON.stringify({ Records: [rec({ eventName: 'DeleteVolume' }), rec({}), rec({ eventName: 'DeleteBucket' })] }, null, 2);
    const found: { index: number; raw: string; time: number | undefined }[] = [];
    const result = searchDocument(Buffer.from(text), compileFilter({ eventNames: ['Delete*'] }), (m) => {
      found.push({ index: m.index, raw: m.raw, time: m.time });
    });
    expect(found.map((f) => f.index)).toEqual([0, 2]);
    expect(found[0]?.raw).toBe(JSON.stringify(rec({ eventName: 'DeleteVolume' })));
    expect(found[0]?.time).toBe(Date.parse('2026-11-20T10:00:00Z'));
    expect(result).toMatchObject({ records: 3, matched: 2, notCloudTrail: 0, problems: [] });
  });

  it('compacts the event of a lookup-events item, whose text is a string inside a compact item', () => {
    const event = rec({ eventName: 'DeleteVolume' });
    const text = JSON.stringify({ Events: [{ EventId: 'x', CloudTrailEvent: JSON.stringify(event, null, 2) }] });
    const found: string[] = [];
    searchDocument(Buffer.from(text), compileFilter({ eventNames: ['Delete*'] }), (m) => void found.push(m.raw));
    expect(found).toEqual([JSON.stringify(event)]);
  });

  it('skips JSON.parse for records the needle rules out', () => {
    const records = Array.from({ length: 100 }, (_, i) => rec({ eventName: i === 50 ? 'DeleteVolume' : 'GetObject' }));
    const result = searchDocument(Buffer.from(JSON.stringify({ Records: records })), compileFilter({ eventNames: ['Delete*'] }), () => {});
    expect(result.matched).toBe(1);
    // The first record is always parsed (to tell CloudTrail from other JSON), then only the candidate.
    expect(result.parsed).toBe(2);
  });

  it('still finds a match hidden behind a \\u escape', () => {
    const text = String.raw`{"Records":[{"eventTime":"2026-11-20T10:00:00Z","eventName":"GetObject"},{"eventName":"\u0044eleteVolume","eventSource":"ec2.amazonaws.com"}]}`;
    expect(ids(Buffer.from(text), compileFilter({ eventNames: ['Delete*'] }))).toHaveLength(1);
  });

  it('unwraps lookup-events items, in an Events array or one per line', () => {
    const event = rec({ eventName: 'DeleteVolume' });
    const wrapped = { EventId: 'x', EventName: 'DeleteVolume', CloudTrailEvent: JSON.stringify(event) };
    for (const text of [JSON.stringify({ Events: [wrapped] }), `${JSON.stringify(wrapped)}\n${JSON.stringify(wrapped)}\n`]) {
      const found: string[] = [];
      searchDocument(Buffer.from(text), compileFilter({ eventSources: ['ec2'] }), (m) => {
        found.push(m.raw);
      });
      expect(found[0]).toBe(JSON.stringify(event));
    }
  });

  it('reports a broken record and searches on', () => {
    const text = `{"Records":[${JSON.stringify(rec({}))},{"eventName":"DeleteX",},${JSON.stringify(rec({ eventName: 'DeleteY' }))}]}`;
    const found: string[] = [];
    const result = searchDocument(Buffer.from(text), compileFilter({ eventNames: ['Delete*'] }), (m) => {
      found.push(m.raw);
    });
    expect(found).toHaveLength(1);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(/^record 1 is not valid JSON/);
  });

  it('stops at a document whose first record is not CloudTrail', () => {
    const text = JSON.stringify({ Records: [{ eventVersion: '2.1', eventSource: 'aws:s3', eventName: 'ObjectCreated:Put' }, rec({})] });
    const result = searchDocument(Buffer.from(text), compileFilter({}), () => {});
    expect(result).toMatchObject({ matched: 0, notCloudTrail: 1 });
  });

  it('finds every match in a document larger than the copy the WebAssembly loop searches (1 MB), literals scattered across copies', () => {
    // One search of a literal covers the rest of the copy it runs in: a literal found nowhere
    // there rules out only the records that end inside it, and the records of the next copy are
    // searched again. Records of ~1.2 KB, 3,000 of them (3.6 MB): three copies and more.
    const padding = 'x'.repeat(1100);
    const shapes = Array.from({ length: 3000 }, (_, i) => ({ eventName: i % 97 === 5 || (i > 800 && i < 900 && i % 7 === 0) ? 'DeleteTrail' : 'DescribeTrails', errorCode: i % 389 === 0 ? 'AccessDenied' : undefined }));
    const buf = Buffer.from(JSON.stringify({ Records: shapes.map((r) => rec({ ...r, requestParameters: { padding } })) }));
    expect(buf.length).toBeGreaterThan(3 * 1024 * 1024);
    for (const spec of [{ eventNames: ['DeleteTrail'] }, { errorsOnly: true }, { eventNames: ['DeleteTrail'], errorsOnly: true }] as FilterSpec[]) {
      const filter = compileFilter(spec);
      const expected = shapes.flatMap((r, i) => ((spec.eventNames === undefined || r.eventName === 'DeleteTrail') && (spec.errorsOnly !== true || r.errorCode !== undefined) ? [i] : []));
      expect(expected.length).toBeGreaterThan(0);
      const found = ids(buf, filter).map((id) => Number(id.split(':')[0]));
      expect(found).toEqual(expected);
      expect(ids(buf, exhaustive(filter))).toEqual(ids(buf, filter));
    }
  });

  it('finds the same matches with and without needles, for random filters over random records', () => {
    const names = ['DeleteVolume', 'GetObject', 'ConsoleLogin', 'Delete\u00e9', 'AssumeRole'];
    const record = fc.record({
      eventName: fc.constantFrom(...names),
      eventSource: fc.constantFrom('ec2.amazonaws.com', 'iam.amazonaws.com', 'aws:s3x'),
      errorCode: fc.option(fc.constantFrom('AccessDenied', 'Client.UnauthorizedOperation'), { nil: undefined }),
      readOnly: fc.option(fc.boolean(), { nil: undefined }),
      awsRegion: fc.constantFrom('us-east-1', 'eu-west-1'),
      userAgent: fc.string(),
      eventTime: fc.constantFrom('2026-11-20T10:00:00Z', '2026-11-21T10:00:00Z'),
    });
    const spec: fc.Arbitrary<FilterSpec> = fc.record(
      {
        eventNames: fc.array(fc.constantFrom('Delete*', '*Object', 'Console?ogin', 'Assume*'), { maxLength: 2 }),
        eventSources: fc.array(fc.constantFrom('ec2', 'iam'), { maxLength: 1 }),
        errorCodes: fc.array(fc.constantFrom('Access*', '*Unauthorized*'), { maxLength: 1 }),
        regions: fc.array(fc.constantFrom('us-east-1', 'eu-west-1'), { maxLength: 1 }),
        errorsOnly: fc.boolean(),
        patterns: fc.array(fc.constantFrom('{ $.eventName = "Delete*" || $.readOnly IS TRUE }', 'ConsoleLogin', '{ $.errorCode NOT EXISTS }'), { maxLength: 1 }),
      },
      { requiredKeys: [] },
    );
    let matchedSomething = 0;
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 20 }), spec, fc.boolean(), fc.integer({ min: 1, max: 64 }), (records, filterSpec, escape, piece) => {
        let text = JSON.stringify({ Records: records });
        // Java's serializer escapes some characters as \uXXXX; a needle must not miss those.
        if (escape) text = text.replace(/Delete/g, '\\u0044elete');
        const filter = compileFilter(filterSpec);
        const fast = ids(Buffer.from(text), filter);
        expect(fast).toEqual(ids(Buffer.from(text), exhaustive(filter)));
        // A stream cut into small pieces splits escapes between their backslash, `u` and digits.
        expect(chunkedIds(Buffer.from(text), filter, piece)).toEqual(fast);
        if (fast.length > 0) matchedSomething++;
      }),
      { numRuns: 500 },
    );
    expect(matchedSomething).toBeGreaterThan(50);
  });
});

/** JSON text with each character of keys and strings written as `\uXXXX` when `escape()` says so. */
function escapedJson(value: unknown, escape: () => boolean): string {
  if (typeof value === 'string') {
    let out = '"';
    for (const ch of value) {
      if (escape()) {
        for (let i = 0; i < ch.length; i++) {
          const hex = ch.charCodeAt(i).toString(16).padStart(4, '0');
          out += `\\u${escape() ? hex.toUpperCase() : hex}`;
        }
      } else {
        out += JSON.stringify(ch).slice(1, -1);
      }
    }
    return `${out}"`;
  }
  if (Array.isArray(value)) return `[${value.map((v) => escapedJson(v, escape)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value).map(([k, v]) => `${escapedJson(k, escape)}:${escapedJson(v, escape)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

describe('searchDocument on text written with \\u escapes', () => {
  it('finds every match an escape could hide, in any document shape, for random filters', () => {
    const names = ['DeleteTrail', 'StopLogging', 'GetObject', 'Delete\u{1F600}', 'ConsoleLogin', 'PutBucketPolicy'];
    const record = fc.record({
      eventVersion: fc.constant('1.08'),
      eventName: fc.constantFrom(...names),
      eventSource: fc.constantFrom('cloudtrail.amazonaws.com', 's3.amazonaws.com', 'signin.amazonaws.com'),
      eventID: fc.constantFrom('a1', 'b2', 'c3'),
      recipientAccountId: fc.constantFrom('111111111111', '222222222222'),
      errorCode: fc.option(fc.constantFrom('AccessDenied', 'Client.UnauthorizedOperation'), { nil: undefined }),
      userIdentity: fc.record({ type: fc.constantFrom('Root', 'IAMUser'), arn: fc.constantFrom('arn:aws:iam::111111111111:user/alice', 'arn:aws:iam::111111111111:root') }),
      // Text that looks like an escape without being one (an escaped backslash before "u0044").
      userAgent: fc.constantFrom('aws-cli/2', 'x\\u0044eleteTrail', 'a=b&c<d>\'e', 'Delete\u{1F600}'),
      requestParameters: fc.option(fc.record({ name: fc.constantFrom('trail', 'DeleteTrail', "q='1'") }), { nil: null }),
      eventTime: fc.constant('2026-11-20T10:00:00Z'),
    });
    const spec: fc.Arbitrary<FilterSpec> = fc.record(
      {
        eventNames: fc.array(fc.constantFrom('DeleteTrail', 'Delete*', '*Logging', 'Delete\u{1F600}'), { maxLength: 2 }),
        eventSources: fc.array(fc.constantFrom('cloudtrail', 'signin'), { maxLength: 1 }),
        errorCodes: fc.array(fc.constantFrom('AccessDenied', '*Unauthorized*'), { maxLength: 1 }),
        errorsOnly: fc.boolean(),
        accounts: fc.array(fc.constantFrom('222222222222'), { maxLength: 1 }),
        eventIds: fc.array(fc.constantFrom('b2'), { maxLength: 1 }),
        users: fc.array(fc.constantFrom('alice'), { maxLength: 1 }),
        patterns: fc.array(
          fc.constantFrom('{ $.eventName = "Delete*" }', '{ $.requestParameters.name = "DeleteTrail" }', '{ $.userIdentity.type = "Root" }', 'DeleteTrail', '%Delete%', '{ $.userAgent = "*=b*" }'),
          { maxLength: 1 },
        ),
      },
      { requiredKeys: [] },
    );
    const shape = fc.constantFrom('records', 'ndjson', 'lookup-events');
    let matchedSomething = 0;
    fc.assert(
      fc.property(fc.array(record, { minLength: 2, maxLength: 12 }), spec, shape, fc.constantFrom(0, 0.05, 0.3, 1), fc.integer(), fc.integer({ min: 1, max: 9 }), (records, filterSpec, kind, rate, seed, piece) => {
        let state = seed >>> 0;
        const escape = () => {
          state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
          return state / 2 ** 32 < rate;
        };
        const text =
          kind === 'records'
            ? `{${escapedJson('Records', escape)}:[${records.map((r) => escapedJson(r, escape)).join(',')}]}`
            : kind === 'ndjson'
              ? records.map((r) => escapedJson(r, escape)).join('\n')
              : records.map((r) => escapedJson({ EventId: r.eventID, CloudTrailEvent: escapedJson(r, escape) }, escape)).join('\n');
        const filter = compileFilter(filterSpec);
        const fast = ids(Buffer.from(text), filter);
        expect(fast).toEqual(ids(Buffer.from(text), exhaustive(filter)));
        // A stream cut into small pieces splits escapes between their backslash, `u` and digits.
        expect(chunkedIds(Buffer.from(text), filter, piece)).toEqual(fast);
        if (fast.length > 0) matchedSomething++;
      }),
      { numRuns: 1500 },
    );
    expect(matchedSomething).toBeGreaterThan(150);
  });

  it('unwraps a lookup-events item whose CloudTrailEvent key is written with an escape', () => {
    const event = JSON.stringify(rec({ eventName: 'DeleteTrail', errorCode: 'AccessDenied' }));
    const line = `{"EventId":"x","CloudTrail\\u0045vent":${JSON.stringify(event)}}`;
    for (const spec of [{ errorsOnly: true }, { eventSources: ['ec2'] }, { patterns: ['{ $.errorCode = "AccessDenied" }'] }] as FilterSpec[]) {
      const found: string[] = [];
      searchDocument(Buffer.from(`${line}\n${line}\n`), compileFilter(spec), (m) => {
        found.push(m.raw);
      });
      expect(found, JSON.stringify(spec)).toEqual([event, event]);
    }
  });

  it('skips without parsing a record whose escapes write characters no needle holds', () => {
    const records = Array.from({ length: 50 }, (_, i) => rec({ eventName: i === 30 ? 'DeleteTrail' : 'GetObject', userAgent: 'a=b' }));
    const text = JSON.stringify({ Records: records }).replace(/=/g, '\\u003d');
    const result = searchDocument(Buffer.from(text), compileFilter({ eventNames: ['DeleteTrail'] }), () => {});
    expect(result.matched).toBe(1);
    expect(result.parsed).toBe(2);
    // An escape that writes a character of the needle sends the record to JSON.parse.
    const hidden = JSON.stringify({ Records: records }).replace('"DeleteTrail"', '"Delete\\u0054rail"');
    const found = searchDocument(Buffer.from(hidden), compileFilter({ eventNames: ['DeleteTrail'] }), () => {});
    expect(found).toMatchObject({ matched: 1, parsed: 2 });
  });
});

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (/\.(json|jsonl|ndjson)(\.gz)?$/.test(name) && !name.includes('_CloudTrail-Digest_')) out.push(full);
  }
  return out;
}

const sharedFiles = (() => {
  try {
    return walk(SHARED_DATA);
  } catch {
    return [];
  }
})();

describe.runIf(sharedFiles.length > 0)('the public CloudTrail files in ../shared/data', () => {
  it('all parse, and needles never lose a match there', () => {
    const filters: FilterSpec[] = [{}, { eventNames: ['Delete*'] }, { errorsOnly: true }, { eventSources: ['s3'] }, { presets: ['cis-4.1'] }, { presets: ['cis-4.3'] }, { patterns: ['{ $.userIdentity.type = "IAMUser" && $.readOnly IS FALSE }'] }];
    let records = 0;
    for (const file of sharedFiles) {
      let buf = readFileSync(file);
      if (buf[0] === 0x1f) buf = gunzipSync(buf);
      const all = searchDocument(buf, compileFilter({}), () => {});
      expect(all.problems, file).toEqual([]);
      records += all.records;
      for (const spec of filters) {
        const filter = compileFilter(spec);
        expect(ids(buf, filter), `${file} ${JSON.stringify(spec)}`).toEqual(ids(buf, exhaustive(filter)));
      }
    }
    expect(records).toBeGreaterThan(20_000);
  });
});

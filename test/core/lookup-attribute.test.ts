import { describe, expect, it } from 'vitest';
import { LOOKUP_RETENTION_MS, lookupAttributeFor, lookupStart } from '../../src/core/lookup-attribute.js';

describe('the one lookup attribute LookupEvents evaluates', () => {
  it.each([
    [{}, undefined],
    [{ eventIds: ['e-1'], eventNames: ['GetUser'] }, { key: 'EventId', value: 'e-1' }],
    [{ eventNames: ['ConsoleLogin'], eventSources: ['signin'] }, { key: 'EventName', value: 'ConsoleLogin' }],
    [{ eventNames: ['Delete*'], eventSources: ['s3'] }, { key: 'EventSource', value: 's3.amazonaws.com' }],
    [{ eventNames: ['A', 'B'], readOnly: true }, { key: 'ReadOnly', value: 'true' }],
    [{ eventSources: ['iam.amazonaws.com', 'sts'], writeOnly: true }, { key: 'ReadOnly', value: 'false' }],
    [{ eventIds: ['a', 'b'], users: ['alice'], errorsOnly: true }, undefined],
  ] as const)('%j -> %j', (spec, expected) => {
    expect(lookupAttributeFor(spec as never)).toEqual(expected);
  });
});

describe('the 90 days the event history keeps', () => {
  const now = Date.UTC(2026, 10, 20);
  it('keeps a window inside them, cuts one that starts before, refuses one that ends before', () => {
    expect(lookupStart(now - 3_600_000, now, now)).toEqual({ start: now - 3_600_000, clamped: false, empty: false });
    expect(lookupStart(now - 120 * 86_400_000, now, now)).toEqual({ start: now - LOOKUP_RETENTION_MS, clamped: true, empty: false });
    expect(lookupStart(now - 200 * 86_400_000, now - 100 * 86_400_000, now).empty).toBe(true);
  });
});

/**
 * CloudTrail LookupEvents takes a time range and at most one lookup attribute (its API
 * reference: "Currently the list can contain only one item"), matched exactly. This picks the
 * one filter of a `grep`/`tail` that the service can evaluate; every filter, that one included,
 * is still applied locally to what comes back.
 */
import { expandEventSource, type FilterSpec } from './record-filter.js';

/** The attribute keys LookupEvents documents for management events. */
export const LOOKUP_ATTRIBUTE_KEYS = ['AccessKeyId', 'EventId', 'EventName', 'EventSource', 'ReadOnly', 'ResourceName', 'ResourceType', 'Username'] as const;
export type LookupAttributeKey = (typeof LOOKUP_ATTRIBUTE_KEYS)[number];

export interface LookupAttribute {
  readonly key: LookupAttributeKey;
  readonly value: string;
}

/** LookupEvents keeps management events for this long (its API reference: "within the last 90 days"). */
export const LOOKUP_RETENTION_MS = 90 * 86_400_000;

function single(values: readonly string[] | undefined): string | undefined {
  return values !== undefined && values.length === 1 ? values[0] : undefined;
}

/**
 * The attribute to send, most selective first: `--event-id`, then an `--event-name` without
 * wildcards, then `--event-source`, then `--read-only`/`--write-only`. Only a filter with one
 * value qualifies (the attribute cannot OR). Undefined: the time range alone.
 */
export function lookupAttributeFor(spec: FilterSpec): LookupAttribute | undefined {
  const eventId = single(spec.eventIds);
  if (eventId !== undefined) return { key: 'EventId', value: eventId };
  const eventName = single(spec.eventNames);
  if (eventName !== undefined && !/[*?]/.test(eventName)) return { key: 'EventName', value: eventName };
  const source = single(spec.eventSources);
  if (source !== undefined) return { key: 'EventSource', value: expandEventSource(source) };
  if (spec.readOnly === true) return { key: 'ReadOnly', value: 'true' };
  if (spec.writeOnly === true) return { key: 'ReadOnly', value: 'false' };
  return undefined;
}

/**
 * The start time to ask for: `since`, moved up to the oldest instant LookupEvents still holds.
 * `clamped` tells the caller to say so; `empty` that the whole window is older than that.
 */
export function lookupStart(since: number, until: number, now: number): { start: number; clamped: boolean; empty: boolean } {
  const oldest = now - LOOKUP_RETENTION_MS;
  if (until < oldest) return { start: since, clamped: false, empty: true };
  return since < oldest ? { start: oldest, clamped: true, empty: false } : { start: since, clamped: false, empty: false };
}

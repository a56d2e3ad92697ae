import { Option, type Command } from 'commander';
import { usageError } from '../core/errors.js';
import { compileFilter, type FilterSpec } from '../core/record-filter.js';
import { parseTimeFlagMs } from './time-flags.js';

/** The filter flags shared by `grep` and `tail`, as commander hands them over. */
export interface FilterFlags {
  eventName: string[];
  eventSource: string[];
  user: string[];
  account: string[];
  eventRegion: string[];
  sourceIp: string[];
  errorCode: string[];
  errors?: boolean;
  readOnly?: boolean;
  writeOnly?: boolean;
  since?: string;
  until?: string;
  eventId: string[];
  pattern: string[];
  preset: string[];
}

/**
 * Repeatable flag; a comma-separated value counts as several. Blank values are kept, so that
 * `--account=` is reported rather than dropped (a filter without values would match everything).
 */
export function collectList(value: string, previous: string[]): string[] {
  return previous.concat(value.split(',').map((v) => v.trim()));
}

/** Throws a usage error when one of a filter flag's values is empty or blank. */
export function requireValues(flag: string, values: readonly string[], example: string, effect = 'match every event'): void {
  if (values.some((v) => v.trim() === '')) {
    throw usageError(`${flag} was given an empty value, which would ${effect}`, `give a value, e.g. ${flag} ${example}, or leave the flag out`);
  }
}

const EXAMPLES: Record<string, string> = {
  '--event-name': "'Delete*'",
  '--event-source': 'iam',
  '--user': 'alice',
  '--account': '123456789012',
  '--event-region': 'us-east-1',
  '--source-ip': '203.0.113.0/24',
  '--error-code': "'AccessDenied*'",
  '--event-id': '0a1b2c3d-...',
  '--pattern': `'{ $.errorCode = "AccessDenied*" }'`,
  '--preset': 'root-usage',
};

/** Repeatable flag whose value may itself contain commas (patterns). */
function collectWhole(value: string, previous: string[]): string[] {
  return previous.concat(value);
}

export function addFilterOptions(command: Command): Command {
  return command
    .addOption(new Option('--event-name <glob>', 'event name, * and ? wildcards, case-sensitive (repeat or comma-separate to OR)').argParser(collectList).default([]))
    .addOption(new Option('--event-source <name>', "service, e.g. ec2 or iam.amazonaws.com ('ec2' means ec2.amazonaws.com)").argParser(collectList).default([]))
    .addOption(new Option('--user <text>', 'text in userIdentity arn, userName, principalId, session issuer or invokedBy (case-insensitive)').argParser(collectWhole).default([]))
    .addOption(new Option('--account <id>', 'account the event was recorded in (recipientAccountId)').argParser(collectList).default([]))
    .addOption(new Option('--event-region <region>', "the event's own region (awsRegion); on --bucket also picks the region folders").argParser(collectList).default([]))
    .addOption(new Option('--source-ip <ip|cidr>', 'sourceIPAddress in an IPv4/IPv6 address or CIDR').argParser(collectList).default([]))
    .addOption(new Option('--error-code <glob>', 'errorCode, * and ? wildcards').argParser(collectList).default([]))
    .addOption(new Option('--errors', 'only failed calls (events with an errorCode)'))
    .addOption(new Option('--read-only', 'only read-only calls (readOnly true)').conflicts('writeOnly'))
    .addOption(new Option('--write-only', 'only mutating calls (readOnly false)'))
    .addOption(new Option('--since <time>', 'events at or after TIME: ISO 8601, extended or basic (UTC unless it has an offset), epoch seconds, relative (15m, 2h, 7d), today or yesterday'))
    .addOption(new Option('--until <time>', 'events at or before TIME (same forms as --since)'))
    .addOption(new Option('--event-id <id>', 'eventID').argParser(collectList).default([]))
    .addOption(new Option('--pattern <pattern>', "CloudWatch Logs filter pattern, e.g. '{ $.errorCode = \"AccessDenied*\" }' (repeat to OR)").argParser(collectWhole).default([]))
    .addOption(new Option('--preset <name>', 'a CIS 4.x monitoring filter by name or id (see --list-presets; repeat to OR)').argParser(collectList).default([]));
}

const ACCOUNT_ID = /^\d{12}$/;


/** Validates the flags and turns them into a FilterSpec; throws a usage error naming the flag. */
export function filterSpecFromFlags(flags: FilterFlags, now: Date): FilterSpec {
  const lists: [string, readonly string[]][] = [
    ['--event-name', flags.eventName],
    ['--event-source', flags.eventSource],
    ['--user', flags.user],
    ['--account', flags.account],
    ['--event-region', flags.eventRegion],
    ['--source-ip', flags.sourceIp],
    ['--error-code', flags.errorCode],
    ['--event-id', flags.eventId],
    ['--pattern', flags.pattern],
    ['--preset', flags.preset],
  ];
  for (const [flag, values] of lists) requireValues(flag, values, EXAMPLES[flag] ?? 'VALUE');
  for (const account of flags.account) {
    if (!ACCOUNT_ID.test(account)) throw usageError(`--account '${account}' is not an AWS account id`, 'an account id is 12 digits, e.g. 123456789012');
  }
  const spec: FilterSpec = {
    eventNames: flags.eventName,
    eventSources: flags.eventSource,
    users: flags.user,
    accounts: flags.account,
    regions: flags.eventRegion,
    sourceIps: flags.sourceIp,
    errorCodes: flags.errorCode,
    eventIds: flags.eventId,
    patterns: flags.pattern,
    presets: flags.preset,
  };
  if (flags.errors === true) spec.errorsOnly = true;
  if (flags.readOnly === true) spec.readOnly = true;
  if (flags.writeOnly === true) spec.writeOnly = true;
  if (flags.since !== undefined) spec.since = parseTimeFlagMs('--since', flags.since, now) as number;
  if (flags.until !== undefined) spec.until = parseTimeFlagMs('--until', flags.until, now) as number;
  if (spec.since !== undefined && spec.until !== undefined && spec.since > spec.until) {
    throw usageError(`--since ${flags.since} is after --until ${flags.until}`, 'swap them, or widen the window');
  }
  // Compiling here reports a bad pattern, preset or CIDR before any file is read.
  compileFilter(spec);
  return spec;
}

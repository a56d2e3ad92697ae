/**
 * A loopback stand-in for CloudTrail LookupEvents, which moto lacks. It answers as the API
 * reference documents the call (AWS JSON 1.1, target CloudTrail_20131101.LookupEvents):
 * - events newest first, at most MaxResults (1-50, default 50) a page, with a NextToken that is
 *   only good for the same parameters (InvalidNextTokenException otherwise);
 * - at most one lookup attribute, of the documented keys, matched exactly
 *   (InvalidLookupAttributesException otherwise);
 * - StartTime after EndTime is InvalidTimeRangeException; only the last 90 days are held;
 * - two requests a second per account and region: a third inside any second is answered
 *   ThrottlingException ("Rate exceeded");
 * - each event carries the record as a JSON string in CloudTrailEvent, and EventTime in epoch
 *   seconds.
 * It records every request with the region of its SigV4 credential scope.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

type Rec = Record<string, unknown>;

export interface LookupRequestLog {
  readonly at: number;
  readonly region: string | undefined;
  readonly body: Rec;
  readonly answer: 'ok' | 'throttled' | 'error';
  readonly events: number;
}

export interface LookupStandInOptions {
  /** Answer the first N requests ThrottlingException whatever their rate (another client using the limit). */
  throttleFirst?: number;
  /** Answer every request ThrottlingException. */
  throttleAlways?: boolean;
  /** Answer every request AccessDeniedException. */
  denyAll?: boolean;
  /** Hold every answer this long (ms). */
  delayMs?: number;
  /** Requests a second before ThrottlingException (the documented 2). */
  perSecond?: number;
}

export interface LookupStandIn {
  readonly endpoint: string;
  readonly requests: LookupRequestLog[];
  /** Adds events (records) to the history, as CloudTrail would after a call. */
  add(...records: Rec[]): void;
  stop(): Promise<void>;
}

const KEYS = new Set(['AccessKeyId', 'EventId', 'EventName', 'EventSource', 'ReadOnly', 'ResourceName', 'ResourceType', 'Username']);
const NINETY_DAYS_MS = 90 * 86_400_000;

function timeOf(record: Rec): number {
  return Date.parse(String(record['eventTime']));
}

function usernameOf(record: Rec): string | undefined {
  const identity = record['userIdentity'] as Rec | undefined;
  if (identity === undefined) return undefined;
  if (typeof identity['userName'] === 'string') return identity['userName'];
  const arn = identity['arn'];
  return typeof arn === 'string' ? arn.slice(arn.lastIndexOf('/') + 1) : undefined;
}

function matches(record: Rec, key: string, value: string): boolean {
  const identity = (record['userIdentity'] ?? {}) as Rec;
  const resources = Array.isArray(record['resources']) ? (record['resources'] as Rec[]) : [];
  switch (key) {
    case 'EventId': return record['eventID'] === value;
    case 'EventName': return record['eventName'] === value;
    case 'EventSource': return record['eventSource'] === value;
    case 'ReadOnly': return String(record['readOnly']) === value;
    case 'Username': return usernameOf(record) === value;
    case 'AccessKeyId': return identity['accessKeyId'] === value;
    case 'ResourceType': return resources.some((r) => r['type'] === value);
    case 'ResourceName': return resources.some((r) => r['ARN'] === value);
    default: return false;
  }
}

function eventOf(record: Rec): Rec {
  const resources = Array.isArray(record['resources']) ? (record['resources'] as Rec[]) : [];
  return {
    EventId: record['eventID'],
    EventName: record['eventName'],
    ReadOnly: String(record['readOnly'] ?? 'false'),
    AccessKeyId: ((record['userIdentity'] ?? {}) as Rec)['accessKeyId'],
    EventTime: timeOf(record) / 1000,
    EventSource: record['eventSource'],
    Username: usernameOf(record),
    Resources: resources.map((r) => ({ ResourceType: r['type'], ResourceName: r['ARN'] })),
    CloudTrailEvent: JSON.stringify(record),
  };
}

function send(res: ServerResponse, status: number, body: Rec): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': createHash('md5').update(String(Math.random())).digest('hex') });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startLookupStandIn(initial: readonly Rec[], options: LookupStandInOptions = {}): Promise<LookupStandIn> {
  const records: Rec[] = [...initial];
  const requests: LookupRequestLog[] = [];
  const perSecond = options.perSecond ?? 2;
  const starts: number[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const text = await readBody(req);
      const at = Date.now();
      const region = /Credential=[^/]+\/\d{8}\/([^/]+)\/cloudtrail\//.exec(req.headers.authorization ?? '')?.[1];
      const target = String(req.headers['x-amz-target'] ?? '');
      let body: Rec = {};
      try {
        body = JSON.parse(text === '' ? '{}' : text) as Rec;
      } catch {
        send(res, 400, { __type: 'SerializationException', message: 'body is not JSON' });
        return;
      }
      const log = (answer: LookupRequestLog['answer'], events = 0) => requests.push({ at, region, body, answer, events });
      if (!target.endsWith('.LookupEvents')) {
        log('error');
        send(res, 400, { __type: 'UnknownOperationException', message: `the stand-in answers LookupEvents only, not ${target}` });
        return;
      }
      // The rate limit counts every request, throttled ones included.
      while (starts.length > 0 && (starts[0] as number) <= at - 1000) starts.shift();
      starts.push(at);
      const throttled = options.throttleAlways === true || requests.length < (options.throttleFirst ?? 0) || starts.length > perSecond;
      if (options.delayMs !== undefined) await new Promise((r) => setTimeout(r, options.delayMs));
      if (throttled) {
        log('throttled');
        send(res, 400, { __type: 'ThrottlingException', message: 'Rate exceeded' });
        return;
      }
      if (options.denyAll === true) {
        log('error');
        send(res, 400, { __type: 'AccessDeniedException', message: 'User: arn:aws:iam::123456789012:user/x is not authorized to perform: cloudtrail:LookupEvents' });
        return;
      }
      const attributes = (body['LookupAttributes'] ?? []) as { AttributeKey?: string; AttributeValue?: string }[];
      if (attributes.length > 1) {
        log('error');
        send(res, 400, { __type: 'InvalidLookupAttributesException', message: 'You cannot specify more than one lookup attribute.' });
        return;
      }
      const attribute = attributes[0];
      if (attribute !== undefined && (!KEYS.has(attribute.AttributeKey ?? '') || (attribute.AttributeValue ?? '') === '')) {
        log('error');
        send(res, 400, { __type: 'InvalidLookupAttributesException', message: `Invalid lookup attribute ${attribute.AttributeKey ?? ''}` });
        return;
      }
      const max = body['MaxResults'] === undefined ? 50 : Number(body['MaxResults']);
      if (!Number.isInteger(max) || max < 1 || max > 50) {
        log('error');
        send(res, 400, { __type: 'InvalidMaxResultsException', message: 'MaxResults must be 1 through 50' });
        return;
      }
      const now = Date.now();
      const start = body['StartTime'] === undefined ? now - NINETY_DAYS_MS : Number(body['StartTime']) * 1000;
      const end = body['EndTime'] === undefined ? now : Number(body['EndTime']) * 1000;
      if (start > end) {
        log('error');
        send(res, 400, { __type: 'InvalidTimeRangeException', message: 'Start time must be before end time.' });
        return;
      }
      const params = createHash('sha256').update(JSON.stringify({ a: attribute ?? null, s: body['StartTime'] ?? null, e: body['EndTime'] ?? null, m: max })).digest('hex').slice(0, 16);
      let offset = 0;
      if (body['NextToken'] !== undefined) {
        const [tokenParams, tokenOffset] = String(body['NextToken']).split(':');
        if (tokenParams !== params || !/^\d+$/.test(tokenOffset ?? '')) {
          log('error');
          send(res, 400, { __type: 'InvalidNextTokenException', message: 'Invalid NextToken' });
          return;
        }
        offset = Number(tokenOffset);
      }
      const selected = records
        .filter((r) => timeOf(r) >= Math.max(start, now - NINETY_DAYS_MS) && timeOf(r) <= end)
        .filter((r) => attribute === undefined || matches(r, attribute.AttributeKey as string, attribute.AttributeValue as string))
        .sort((a, b) => timeOf(b) - timeOf(a));
      const page = selected.slice(offset, offset + max);
      log('ok', page.length);
      send(res, 200, { Events: page.map(eventOf), ...(offset + max < selected.length ? { NextToken: `${params}:${offset + max}` } : {}) });
    })().catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    add: (...more) => records.push(...more),
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

import { TrailkitError } from '../core/errors.js';

/** What an SDK error looks like, whichever service threw it. */
interface SdkError {
  name?: string;
  message?: string;
  Code?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $fault?: string;
}

const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError', 'AuthorizationErrorException', 'Forbidden']);
const THROTTLED = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded', 'SlowDown', 'LimitExceededException']);
const NO_CREDENTIALS = new Set(['CredentialsProviderError', 'ExpiredToken', 'ExpiredTokenException', 'InvalidClientTokenId', 'UnrecognizedClientException', 'InvalidAccessKeyId', 'SignatureDoesNotMatch']);

/** The AWS error code of an SDK error (`AccessDenied`, `NoSuchBucket`...). */
export function awsErrorCode(error: unknown): string | undefined {
  const e = error as SdkError | undefined;
  if (e === undefined || e === null || typeof e !== 'object') return undefined;
  return e.name ?? e.Code ?? e.code;
}

export function isAccessDenied(error: unknown): boolean {
  const code = awsErrorCode(error);
  return code !== undefined && ACCESS_DENIED.has(code);
}

export function isThrottling(error: unknown): boolean {
  const code = awsErrorCode(error);
  return code !== undefined && THROTTLED.has(code);
}

export function isNotFound(error: unknown): boolean {
  const code = awsErrorCode(error) ?? '';
  const status = (error as SdkError | undefined)?.$metadata?.httpStatusCode;
  return /NotFound|NoSuch/.test(code) || status === 404;
}

/**
 * Turns an SDK error into a one-line TrailkitError (exit 2) that names what was being done, the
 * cause and the fix: for AccessDenied the IAM action that was missing.
 */
export function mapAwsError(error: unknown, context: { action: string; resource?: string }): TrailkitError {
  if (error instanceof TrailkitError) return error;
  const e = (error ?? {}) as SdkError;
  const code = awsErrorCode(error) ?? 'Error';
  const where = context.resource === undefined ? context.action : `${context.action} on ${context.resource}`;
  const firstLine = (e.message ?? String(error)).split('\n')[0] ?? '';
  if (ACCESS_DENIED.has(code)) {
    return new TrailkitError('access-denied', `${where}: access denied`, { hint: `the caller needs the IAM permission ${context.action}`, cause: error });
  }
  if (NO_CREDENTIALS.has(code) || (code === 'Error' && /Could not load credentials|credential/i.test(firstLine))) {
    return new TrailkitError('credentials', `${where}: no usable AWS credentials (${firstLine})`, {
      hint: 'set AWS_PROFILE or --profile, run aws configure or aws sso login, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY',
      cause: error,
    });
  }
  if (THROTTLED.has(code)) {
    return new TrailkitError('throttled', `${where}: still throttled by AWS after retries (${code})`, { hint: 'try again later, or lower --concurrency', cause: error });
  }
  if (/Region is missing/i.test(firstLine)) {
    return new TrailkitError('region', `${where}: no AWS region is set`, { hint: 'pass --region, or set AWS_REGION or a region in the profile', cause: error });
  }
  if (/ENOTFOUND|EAI_AGAIN|getaddrinfo/.test(firstLine) || code === 'UnknownEndpoint') {
    return new TrailkitError('endpoint', `${where}: cannot reach the AWS endpoint (${firstLine})`, { hint: 'check --region (is it a real region?), --endpoint-url and the network', cause: error });
  }
  if (/ECONNREFUSED/.test(firstLine)) {
    return new TrailkitError('endpoint', `${where}: connection refused (${firstLine})`, { hint: 'check --endpoint-url', cause: error });
  }
  return new TrailkitError('aws', `${where}: ${code}: ${firstLine}`, { cause: error });
}

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

/** The profile a "could not resolve credentials using profile" error names, if any. */
function missingProfileOf(message: string): string | undefined {
  return /using profile: \[([^\]]*)\]/.exec(message)?.[1] ?? /^Profile (\S+) could not be found/.exec(message)?.[1];
}

/** Whether the error is an answer from an AWS service (it has an HTTP status), not a client-side failure. */
function isServiceAnswer(e: SdkError): boolean {
  return e.$metadata?.httpStatusCode !== undefined && (e.$fault === 'client' || e.$fault === 'server');
}

/**
 * Turns an SDK error into a one-line TrailkitError (exit 2) that names what was being done, the
 * cause and the fix: for AccessDenied the IAM action that was missing. Never a JavaScript class
 * name (CredentialsProviderError, TimeoutError): an AWS error code appears only as what AWS
 * answered, and an answer without one (the SDK's "Unknown") is named by its HTTP status.
 */
export function mapAwsError(error: unknown, context: { action: string; resource?: string }): TrailkitError {
  if (error instanceof TrailkitError) return error;
  const e = (error ?? {}) as SdkError;
  const code = awsErrorCode(error) ?? 'Error';
  const where = context.resource === undefined ? context.action : `${context.action} on ${context.resource}`;
  const firstLine = ((e.message ?? String(error)).split('\n')[0] ?? '').trim();
  if (ACCESS_DENIED.has(code)) {
    return new TrailkitError('access-denied', `${where}: access denied`, { hint: `the caller needs the IAM permission ${context.action}`, cause: error });
  }
  const profile = missingProfileOf(firstLine);
  if (profile !== undefined) {
    return new TrailkitError('profile', `profile '${profile}': not found in the AWS config or credentials file`, { hint: `check --profile / AWS_PROFILE, or create it with aws configure --profile ${profile}`, cause: error });
  }
  if (NO_CREDENTIALS.has(code) || (!isServiceAnswer(e) && /Could not load credentials|credential/i.test(firstLine))) {
    const why = code === 'ExpiredToken' || code === 'ExpiredTokenException' ? 'the AWS credentials have expired'
      : code === 'InvalidClientTokenId' || code === 'UnrecognizedClientException' || code === 'InvalidAccessKeyId' ? 'AWS does not know the access key'
        : code === 'SignatureDoesNotMatch' ? 'AWS refused the signature (a wrong secret key?)'
          : 'no AWS credentials found';
    return new TrailkitError('credentials', `${where}: ${why}`, {
      hint: 'set --profile or AWS_PROFILE, run aws configure or aws sso login, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY',
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
  if (isServiceAnswer(e)) {
    const status = e.$metadata?.httpStatusCode ?? 0;
    if (code === 'Unknown' || code === 'UnknownError' || code === 'Error') {
      return new TrailkitError('aws', `${where}: AWS answered HTTP ${status} without an error code`, { hint: status >= 500 ? 'a service or endpoint problem: try again later, or check --endpoint-url' : 'check --endpoint-url and --region', cause: error });
    }
    const message = firstLine === '' || firstLine === code || firstLine === 'UnknownError' ? '' : `: ${firstLine}`;
    return new TrailkitError('aws', `${where}: AWS answered ${code}${message}`, { cause: error });
  }
  if (/timed? ?out|ETIMEDOUT|ECONNRESET|socket hang up|EPIPE/i.test(firstLine) || code === 'TimeoutError') {
    return new TrailkitError('endpoint', `${where}: the connection to AWS failed (${firstLine})`, { hint: 'check the network and --endpoint-url, then try again', cause: error });
  }
  return new TrailkitError('aws', `${where}: ${firstLine === '' ? 'failed' : firstLine}`, { cause: error });
}

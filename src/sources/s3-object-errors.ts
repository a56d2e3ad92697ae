import { awsErrorCode, isAccessDenied, isThrottling } from '../aws/errors.js';

/** What went wrong reading one object, for a `s3://bucket/key: reason` line. */
export interface ObjectFailure {
  readonly message: string;
  /** Worth trying again later (throttling, a dropped connection, a 5xx), rather than a property of the object. */
  readonly transient: boolean;
  readonly denied: boolean;
}

/**
 * Describes a GetObject failure. An SSE-KMS object the caller may not decrypt comes back as
 * AccessDenied (or a KMS.* code) whose message names KMS: that is a missing kms:Decrypt on the
 * trail's key, not a missing s3:GetObject.
 */
export function describeObjectFailure(error: unknown): ObjectFailure {
  const code = awsErrorCode(error) ?? '';
  const message = ((error as { message?: string } | undefined)?.message ?? String(error)).split('\n')[0] ?? '';
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  if (code.startsWith('KMS.') || ((isAccessDenied(error) || status === 403) && /kms|key management/i.test(message))) {
    return { message: `encrypted with a KMS key this caller cannot use (${code}: ${message}); it needs kms:Decrypt on the trail's KMS key`, transient: false, denied: true };
  }
  if (isAccessDenied(error) || status === 403) {
    return { message: 'access denied: the caller needs the IAM permission s3:GetObject on this object', transient: false, denied: true };
  }
  if (code === 'NoSuchKey' || status === 404) return { message: 'no longer exists (deleted after it was listed)', transient: false, denied: false };
  if (code === 'InvalidObjectState') return { message: 'is archived (Glacier/Deep Archive): restore it before reading', transient: false, denied: false };
  const transient = isThrottling(error) || (status !== undefined && status >= 500) || /ECONNRESET|ETIMEDOUT|EPIPE|socket|timeout|ECONNREFUSED/i.test(`${code} ${message}`);
  return { message: `could not be read (${code === '' ? message : `${code}: ${message}`})`, transient, denied: false };
}

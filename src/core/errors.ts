/** Exit codes shared by every command (SPEC section 1). */
export const EXIT_OK = 0;
export const EXIT_NEGATIVE = 1;
export const EXIT_ERROR = 2;

/**
 * An expected failure: bad input, a missing file, an AWS error. The CLI prints `message` (and
 * `hint` when there is one) on one line and exits with `exitCode`; no stack trace unless --debug.
 */
export class TrailkitError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly exitCode: number;

  constructor(code: string, message: string, options: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TrailkitError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? EXIT_ERROR;
  }
}

/** Usage errors: a bad flag value, a malformed pattern. */
export function usageError(message: string, hint?: string): TrailkitError {
  return new TrailkitError('usage', message, hint === undefined ? {} : { hint });
}

/** The message of anything thrown, for one-line reports. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** What JSON.parse said about broken JSON, without the text itself (which its message quotes). */
export function jsonSyntaxReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/Unexpected end of JSON input/.test(message)) return 'it ends too early';
  const at = /^(.*) in JSON at position (\d+)/.exec(message);
  if (at !== null && !at[1]?.includes('"')) return `${(at[1] as string).charAt(0).toLowerCase()}${(at[1] as string).slice(1)} at character ${at[2]}`;
  return 'an unexpected character';
}

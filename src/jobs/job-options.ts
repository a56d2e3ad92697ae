/**
 * What every library job takes besides its request: where to connect, how to be stopped, and
 * where its warnings and notices go. A job never writes to the console itself.
 */
import { AwsClients, type AwsConfig } from '../aws/clients.js';
import { mapAwsError } from '../aws/errors.js';
import { checkProfileExists } from '../aws/profiles.js';
import { TrailkitError } from '../core/errors.js';

/** The AWS connection: only what is set here; the SDK's default chain supplies the rest. */
export interface AwsSettings {
  /** A profile of ~/.aws/config or ~/.aws/credentials (default: AWS_PROFILE, then the SDK's default). */
  readonly profile?: string;
  /** The region to call (default: AWS_REGION, then the profile's). */
  readonly region?: string;
  /** Another endpoint for every service, e.g. a local emulator. */
  readonly endpointUrl?: string;
}

export interface JobOptions {
  readonly aws?: AwsSettings;
  /** Stops the job: an iterator ends, a pending call is abandoned, nothing half-written is kept. */
  readonly signal?: AbortSignal;
  /** A one-line warning: something was skipped or may need attention; the job goes on. */
  readonly onWarning?: (message: string) => void;
  /** What the job is doing: the window it searches, the folder it writes. */
  readonly onNotice?: (message: string) => void;
  /** Detail for troubleshooting. */
  readonly onDebug?: (message: string) => void;
  /** The current time (default: the clock); relative times such as `2h` count back from it. */
  readonly now?: () => Date;
  /** The environment AWS settings are read from (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** How the profile was named, for the message when it does not exist (default: 'profile'). */
  readonly profileLabel?: string;
  /** How the region was named, for the message when it is not a region (default: 'region'). */
  readonly regionLabel?: string;
}

/** A job's options with every default filled in. */
export interface JobContext {
  readonly aws: AwsSettings;
  readonly signal: AbortSignal | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly profileLabel: string;
  readonly regionLabel: string;
  now(): Date;
  warn(message: string): void;
  notice(message: string): void;
  debug(message: string): void;
}

const nothing = (): void => undefined;

export function jobContext(options: JobOptions = {}): JobContext {
  return {
    aws: options.aws ?? {},
    signal: options.signal,
    env: options.env ?? process.env,
    profileLabel: options.profileLabel ?? 'profile',
    regionLabel: options.regionLabel ?? 'region',
    now: options.now ?? (() => new Date()),
    warn: options.onWarning ?? nothing,
    notice: options.onNotice ?? nothing,
    debug: options.onDebug ?? nothing,
  };
}

/** The error an aborted job ends with. */
export function abortError(signal: AbortSignal | undefined): TrailkitError {
  const reason: unknown = signal?.reason;
  return new TrailkitError('aborted', reason instanceof Error && reason.name !== 'AbortError' ? reason.message : 'stopped', { exitCode: 130, cause: reason });
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw abortError(signal);
}

function awsConfig(job: JobContext, override?: AwsSettings): AwsConfig {
  const { profile, region, endpointUrl } = override ?? job.aws;
  return {
    ...(profile === undefined ? {} : { profile }),
    ...(region === undefined ? {} : { region }),
    ...(endpointUrl === undefined ? {} : { endpointUrl }),
  };
}

/**
 * AWS clients built from the job's settings, for work that outlives one withAwsClients body (the
 * caller destroys them): a profile that does not exist is an error before any call.
 */
export function openAwsClients(job: JobContext, settings?: AwsSettings): AwsClients {
  const config = awsConfig(job, settings);
  if (config.profile !== undefined) checkProfileExists(config.profile, job.profileLabel, job.env);
  else checkProfileExists(job.env['AWS_PROFILE'], 'AWS_PROFILE', job.env);
  throwIfAborted(job.signal);
  return new AwsClients({ warn: (m) => job.warn(m), ...config });
}

/**
 * Runs a body with AWS clients built from the job's settings: a profile that does not exist is
 * an error before any call, any SDK error that escapes becomes a one-line TrailkitError, and the
 * clients' sockets are closed afterwards.
 */
export async function withAwsClients<T>(job: JobContext, action: string, body: (clients: AwsClients) => Promise<T>, settings?: AwsSettings): Promise<T> {
  const clients = openAwsClients(job, settings);
  try {
    return await body(clients);
  } catch (error) {
    if (error instanceof TrailkitError) throw error;
    if (job.signal?.aborted === true) throw abortError(job.signal);
    throw mapAwsError(error, { action });
  } finally {
    clients.destroy();
  }
}

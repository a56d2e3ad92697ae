import type { AthenaClient } from '@aws-sdk/client-athena';
import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { STSClient } from '@aws-sdk/client-sts';

/**
 * How every AWS client is built: one profile, region and endpoint for the whole command
 * (`--profile`, `--region`, `--endpoint-url`), adaptive retries, and trailkit's user agent.
 * The SDK also honours AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> by itself.
 */
export interface AwsConfig {
  readonly profile?: string;
  readonly region?: string;
  readonly endpointUrl?: string;
  /** Attempts per call including the first; adaptive mode also rate-limits on throttling. */
  readonly maxAttempts?: number;
  /** Where the SDK's warnings go, one line each (its multi-line notices would break trailkit's one-line style). */
  readonly warn?: (message: string) => void;
}

const ignore = (): void => undefined;

/** The SDK's warning in one line: its notice about a profile and environment keys both set, or its first line. */
export function sdkWarningLine(args: readonly unknown[]): string {
  const text = args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.message : JSON.stringify(a))).join(' ');
  if (/Multiple credential sources detected/.test(text)) {
    return 'both a profile (--profile or AWS_PROFILE) and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are set: the profile\'s credentials are used';
  }
  return text.split('\n').map((l) => l.trim()).find((l) => l !== '' && !/WARNING:?$/.test(l)) ?? text.trim();
}

export const DEFAULT_MAX_ATTEMPTS = 8;

// The SDK prints a multi-line notice on every run under Node 20 that future SDK releases will need
// Node 22. trailkit supports Node 20 with the SDK versions its lock file pins, so the notice would
// only clutter stderr (the README says the same once). An explicit setting by the user still wins.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

/** Options shared by every client constructor. */
export function clientOptions(config: AwsConfig, region?: string): Record<string, unknown> {
  const options: Record<string, unknown> = {
    retryMode: 'adaptive',
    customUserAgent: 'trailkit',
    // The SDK logs each call (info) and each failure (error) to its logger; trailkit reports
    // failures itself, so only warnings are kept, as one line.
    logger: { trace: ignore, debug: ignore, info: ignore, error: ignore, warn: (...args: unknown[]) => config.warn?.(sdkWarningLine(args)) },
  };
  // AWS_MAX_ATTEMPTS, the setting every AWS SDK and the CLI read, wins over trailkit's default.
  const fromEnv = process.env['AWS_MAX_ATTEMPTS'];
  if (config.maxAttempts !== undefined || fromEnv === undefined || !/^[1-9]\d*$/.test(fromEnv)) options['maxAttempts'] = config.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const effectiveRegion = region ?? config.region;
  if (effectiveRegion !== undefined) options['region'] = effectiveRegion;
  if (config.profile !== undefined) options['profile'] = config.profile;
  if (config.endpointUrl !== undefined) options['endpoint'] = config.endpointUrl;
  return options;
}

/** An endpoint set for the service in the environment (AWS_ENDPOINT_URL_<SERVICE> or AWS_ENDPOINT_URL), which the SDK honours. */
function hasEnvEndpoint(service: string): boolean {
  return (process.env[`AWS_ENDPOINT_URL_${service}`] ?? '') !== '' || (process.env['AWS_ENDPOINT_URL'] ?? '') !== '';
}

/**
 * Builds clients on first use, one per service and region. The SDK modules are imported here,
 * inside the factory methods, so commands that never call AWS never load them.
 */
export class AwsClients {
  private readonly cache = new Map<string, unknown>();

  constructor(readonly config: AwsConfig) {}

  private async get<T>(key: string, make: () => Promise<T>): Promise<T> {
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit as T;
    const client = await make();
    this.cache.set(key, client);
    return client;
  }

  cloudTrail(region?: string): Promise<CloudTrailClient> {
    return this.get(`cloudtrail:${region ?? ''}`, async () => {
      const { CloudTrailClient } = await import('@aws-sdk/client-cloudtrail');
      return new CloudTrailClient(clientOptions(this.config, region));
    });
  }

  s3(region?: string): Promise<S3Client> {
    return this.get(`s3:${region ?? ''}`, async () => {
      const { S3Client } = await import('@aws-sdk/client-s3');
      return new S3Client({
        ...clientOptions(this.config, region),
        // An emulator on a custom endpoint serves buckets by path, not by virtual host.
        forcePathStyle: this.config.endpointUrl !== undefined || hasEnvEndpoint('S3'),
        followRegionRedirects: true,
      });
    });
  }

  athena(region?: string): Promise<AthenaClient> {
    return this.get(`athena:${region ?? ''}`, async () => {
      const { AthenaClient } = await import('@aws-sdk/client-athena');
      return new AthenaClient(clientOptions(this.config, region));
    });
  }

  iam(): Promise<IAMClient> {
    return this.get('iam', async () => {
      const { IAMClient } = await import('@aws-sdk/client-iam');
      return new IAMClient(clientOptions(this.config));
    });
  }

  logs(region?: string): Promise<CloudWatchLogsClient> {
    return this.get(`logs:${region ?? ''}`, async () => {
      const { CloudWatchLogsClient } = await import('@aws-sdk/client-cloudwatch-logs');
      return new CloudWatchLogsClient(clientOptions(this.config, region));
    });
  }

  cloudWatch(region?: string): Promise<CloudWatchClient> {
    return this.get(`cloudwatch:${region ?? ''}`, async () => {
      const { CloudWatchClient } = await import('@aws-sdk/client-cloudwatch');
      return new CloudWatchClient(clientOptions(this.config, region));
    });
  }

  kms(region?: string): Promise<KMSClient> {
    return this.get(`kms:${region ?? ''}`, async () => {
      const { KMSClient } = await import('@aws-sdk/client-kms');
      return new KMSClient(clientOptions(this.config, region));
    });
  }

  sns(region?: string): Promise<SNSClient> {
    return this.get(`sns:${region ?? ''}`, async () => {
      const { SNSClient } = await import('@aws-sdk/client-sns');
      return new SNSClient(clientOptions(this.config, region));
    });
  }

  organizations(): Promise<OrganizationsClient> {
    return this.get('organizations', async () => {
      const { OrganizationsClient } = await import('@aws-sdk/client-organizations');
      return new OrganizationsClient(clientOptions(this.config));
    });
  }

  sts(): Promise<STSClient> {
    return this.get('sts', async () => {
      const { STSClient } = await import('@aws-sdk/client-sts');
      return new STSClient(clientOptions(this.config));
    });
  }

  /** The region calls go to when none is named: the client's resolved region. */
  async region(): Promise<string> {
    const client = await this.sts();
    const region = await client.config.region();
    return region;
  }

  /** Closes every socket so the process can exit. */
  destroy(): void {
    for (const client of this.cache.values()) (client as { destroy(): void }).destroy();
    this.cache.clear();
  }
}

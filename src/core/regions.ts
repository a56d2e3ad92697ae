/**
 * AWS regions trailkit knows. A region outside this list is refused before any call when no
 * endpoint is set (a typo would otherwise surface as a DNS failure for a made-up host); with
 * --endpoint-url or AWS_ENDPOINT_URL any well-formed name is accepted.
 */
export const KNOWN_REGIONS: readonly string[] = [
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'af-south-1', 'ap-east-1', 'ap-east-2', 'ap-south-1', 'ap-south-2',
  'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-6', 'ap-southeast-7',
  'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ca-central-1', 'ca-west-1', 'eu-central-1', 'eu-central-2',
  'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-south-1', 'eu-south-2', 'eu-north-1', 'il-central-1', 'me-south-1',
  'me-central-1', 'mx-central-1', 'sa-east-1', 'cn-north-1', 'cn-northwest-1', 'us-gov-east-1', 'us-gov-west-1',
];

const REGION_FORMAT = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** Why a region name cannot be used, or undefined. */
export function regionProblem(region: string, customEndpoint: boolean): string | undefined {
  if (!REGION_FORMAT.test(region)) return 'is not a region name (like us-east-1)';
  if (!customEndpoint && !KNOWN_REGIONS.includes(region)) return 'is not a region trailkit knows';
  return undefined;
}

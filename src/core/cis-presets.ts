/**
 * The CloudWatch Logs metric filters of the CIS AWS Foundations Benchmark's monitoring section
 * (v5 numbering, 4.1 to 4.15), as named presets for `grep --preset` and for creating the metric
 * filters themselves. 4.1, 4.2, 4.3 and 4.6 are written as SPEC section 7 gives them; the others
 * are the benchmark's remediation patterns as published. 4.13 uses the remediation pattern: the
 * audit text adds `$.eventSource = ec2.amazonaws.com` without parentheses, which binds it to
 * `CreateRoute` only.
 */
export interface CisPreset {
  /** `cis-4.1` */
  readonly id: string;
  /** kebab-case alias, e.g. `unauthorized-api-calls` */
  readonly name: string;
  readonly title: string;
  /** A CloudWatch Logs filter pattern. */
  readonly pattern: string;
  /** The metric a metric filter for this preset publishes. */
  readonly metricName: string;
}

function eventNames(names: readonly string[]): string {
  return names.map((n) => `($.eventName = ${n})`).join(' || ');
}

export const CIS_PRESETS: readonly CisPreset[] = [
  {
    id: 'cis-4.1',
    name: 'unauthorized-api-calls',
    title: 'Unauthorized API calls',
    pattern:
      '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") && ($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }',
    metricName: 'UnauthorizedAPICalls',
  },
  {
    id: 'cis-4.2',
    name: 'console-signin-without-mfa',
    title: 'Management Console sign-in without MFA',
    pattern: '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }',
    metricName: 'ConsoleSigninWithoutMFA',
  },
  {
    id: 'cis-4.3',
    name: 'root-usage',
    title: "Usage of the 'root' account",
    pattern: '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
    metricName: 'RootAccountUsage',
  },
  {
    id: 'cis-4.4',
    name: 'iam-policy-changes',
    title: 'IAM policy changes',
    pattern: `{ ${eventNames([
      'DeleteGroupPolicy',
      'DeleteRolePolicy',
      'DeleteUserPolicy',
      'PutGroupPolicy',
      'PutRolePolicy',
      'PutUserPolicy',
      'CreatePolicy',
      'DeletePolicy',
      'CreatePolicyVersion',
      'DeletePolicyVersion',
      'AttachRolePolicy',
      'DetachRolePolicy',
      'AttachUserPolicy',
      'DetachUserPolicy',
      'AttachGroupPolicy',
      'DetachGroupPolicy',
    ])} }`,
    metricName: 'IAMPolicyChanges',
  },
  {
    id: 'cis-4.5',
    name: 'cloudtrail-changes',
    title: 'CloudTrail configuration changes',
    pattern: `{ ${eventNames(['CreateTrail', 'UpdateTrail', 'DeleteTrail', 'StartLogging', 'StopLogging'])} }`,
    metricName: 'CloudTrailConfigChanges',
  },
  {
    id: 'cis-4.6',
    name: 'console-auth-failures',
    title: 'Management Console authentication failures',
    pattern: '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
    metricName: 'ConsoleSigninFailures',
  },
  {
    id: 'cis-4.7',
    name: 'kms-key-disable-or-deletion',
    title: 'Disabling or scheduled deletion of customer-managed KMS keys',
    pattern: `{ ($.eventSource = kms.amazonaws.com) && (${eventNames(['DisableKey', 'ScheduleKeyDeletion'])}) }`,
    metricName: 'DisableOrDeleteCMK',
  },
  {
    id: 'cis-4.8',
    name: 's3-bucket-policy-changes',
    title: 'S3 bucket policy changes',
    pattern: `{ ($.eventSource = s3.amazonaws.com) && (${eventNames([
      'PutBucketAcl',
      'PutBucketPolicy',
      'PutBucketCors',
      'PutBucketLifecycle',
      'PutBucketReplication',
      'DeleteBucketPolicy',
      'DeleteBucketCors',
      'DeleteBucketLifecycle',
      'DeleteBucketReplication',
    ])}) }`,
    metricName: 'S3BucketPolicyChanges',
  },
  {
    id: 'cis-4.9',
    name: 'aws-config-changes',
    title: 'AWS Config configuration changes',
    pattern: `{ ($.eventSource = config.amazonaws.com) && (${eventNames([
      'StopConfigurationRecorder',
      'DeleteDeliveryChannel',
      'PutDeliveryChannel',
      'PutConfigurationRecorder',
    ])}) }`,
    metricName: 'AWSConfigChanges',
  },
  {
    id: 'cis-4.10',
    name: 'security-group-changes',
    title: 'Security group changes',
    pattern: `{ ${eventNames([
      'AuthorizeSecurityGroupIngress',
      'AuthorizeSecurityGroupEgress',
      'RevokeSecurityGroupIngress',
      'RevokeSecurityGroupEgress',
      'CreateSecurityGroup',
      'DeleteSecurityGroup',
      'ModifySecurityGroupRules',
    ])} }`,
    metricName: 'SecurityGroupChanges',
  },
  {
    id: 'cis-4.11',
    name: 'nacl-changes',
    title: 'Network ACL changes',
    pattern: `{ ${eventNames([
      'CreateNetworkAcl',
      'CreateNetworkAclEntry',
      'DeleteNetworkAcl',
      'DeleteNetworkAclEntry',
      'ReplaceNetworkAclEntry',
      'ReplaceNetworkAclAssociation',
    ])} }`,
    metricName: 'NACLChanges',
  },
  {
    id: 'cis-4.12',
    name: 'network-gateway-changes',
    title: 'Network gateway changes',
    pattern: `{ ${eventNames([
      'CreateCustomerGateway',
      'DeleteCustomerGateway',
      'AttachInternetGateway',
      'CreateInternetGateway',
      'DeleteInternetGateway',
      'DetachInternetGateway',
    ])} }`,
    metricName: 'NetworkGatewayChanges',
  },
  {
    id: 'cis-4.13',
    name: 'route-table-changes',
    title: 'Route table changes',
    pattern: `{ ${eventNames([
      'CreateRoute',
      'CreateRouteTable',
      'ReplaceRoute',
      'ReplaceRouteTableAssociation',
      'DeleteRouteTable',
      'DeleteRoute',
      'DisassociateRouteTable',
    ])} }`,
    metricName: 'RouteTableChanges',
  },
  {
    id: 'cis-4.14',
    name: 'vpc-changes',
    title: 'VPC changes',
    pattern: `{ ${eventNames([
      'CreateVpc',
      'DeleteVpc',
      'ModifyVpcAttribute',
      'AcceptVpcPeeringConnection',
      'CreateVpcPeeringConnection',
      'DeleteVpcPeeringConnection',
      'RejectVpcPeeringConnection',
      'AttachClassicLinkVpc',
      'DetachClassicLinkVpc',
      'DisableVpcClassicLink',
      'EnableVpcClassicLink',
    ])} }`,
    metricName: 'VPCChanges',
  },
  {
    id: 'cis-4.15',
    name: 'organizations-changes',
    title: 'AWS Organizations changes',
    pattern: `{ ($.eventSource = organizations.amazonaws.com) && (${eventNames([
      'AcceptHandshake',
      'AttachPolicy',
      'CreateAccount',
      'CreateOrganizationalUnit',
      'CreatePolicy',
      'DeclineHandshake',
      'DeleteOrganization',
      'DeleteOrganizationalUnit',
      'DeletePolicy',
      'DetachPolicy',
      'DisablePolicyType',
      'EnablePolicyType',
      'InviteAccountToOrganization',
      'LeaveOrganization',
      'MoveAccount',
      'RemoveAccountFromOrganization',
      'UpdatePolicy',
      'UpdateOrganizationalUnit',
    ])}) }`,
    metricName: 'OrganizationsChanges',
  },
];

/** Finds a preset by `cis-4.1`, `4.1` or its alias, ignoring case and surrounding space. */
export function findPreset(nameOrId: string): CisPreset | undefined {
  const wanted = nameOrId.trim().toLowerCase();
  if (wanted === '') return undefined;
  return CIS_PRESETS.find((p) => p.id === wanted || p.id === `cis-${wanted}` || p.name === wanted);
}

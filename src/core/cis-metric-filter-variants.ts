/**
 * The metric filter patterns the CIS AWS Foundations Benchmark (v1.2 to v5, and later texts that
 * kept them) and AWS Security Hub's CloudWatch.1-14 controls publish for each monitoring control.
 * A metric filter satisfies a control when its pattern means the same as one of them (compared by
 * `filter-pattern-equivalence`, so quoting, spacing and operand order do not matter).
 *
 * Where the texts differ in meaning, each published form is listed:
 * - 4.1: v1.2 and Security Hub CloudWatch.2 match the two error codes only; v1.4 to v3.0 OR the
 *   four conditions; v4.0 on write `A || B && C && D` (that is, `A || (B && C && D)`).
 * - 4.2: the two-condition form, and the four-condition form (`userIdentity.type = IAMUser`,
 *   `responseElements.ConsoleLogin = Success`) of v1.4+ and Security Hub CloudWatch.3.
 * - 4.10: v5.0 added `ModifySecurityGroupRules`.
 * - 4.13: the event names alone (remediation texts, Security Hub CloudWatch.13); the audit text
 *   of v3.0+, whose `$.eventSource = ec2.amazonaws.com &&` binds to `CreateRoute` only; and the
 *   same with the parentheses the audit text means (`source && (names)`), which is how it is
 *   commonly deployed. All these event names come from ec2.amazonaws.com, so the three alert alike.
 */
export interface MetricFilterVariant {
  /** Where the pattern is published. */
  readonly source: string;
  readonly pattern: string;
}

const names = (list: readonly string[], quote = false) => list.map((n) => `($.eventName = ${quote ? `"${n}"` : n})`).join(' || ');

const IAM_POLICY = ['DeleteGroupPolicy', 'DeleteRolePolicy', 'DeleteUserPolicy', 'PutGroupPolicy', 'PutRolePolicy', 'PutUserPolicy', 'CreatePolicy', 'DeletePolicy', 'CreatePolicyVersion', 'DeletePolicyVersion', 'AttachRolePolicy', 'DetachRolePolicy', 'AttachUserPolicy', 'DetachUserPolicy', 'AttachGroupPolicy', 'DetachGroupPolicy'];
const CLOUDTRAIL = ['CreateTrail', 'UpdateTrail', 'DeleteTrail', 'StartLogging', 'StopLogging'];
const S3_POLICY = ['PutBucketAcl', 'PutBucketPolicy', 'PutBucketCors', 'PutBucketLifecycle', 'PutBucketReplication', 'DeleteBucketPolicy', 'DeleteBucketCors', 'DeleteBucketLifecycle', 'DeleteBucketReplication'];
const CONFIG = ['StopConfigurationRecorder', 'DeleteDeliveryChannel', 'PutDeliveryChannel', 'PutConfigurationRecorder'];
const SECURITY_GROUPS = ['AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress', 'RevokeSecurityGroupIngress', 'RevokeSecurityGroupEgress', 'CreateSecurityGroup', 'DeleteSecurityGroup'];
const NACL = ['CreateNetworkAcl', 'CreateNetworkAclEntry', 'DeleteNetworkAcl', 'DeleteNetworkAclEntry', 'ReplaceNetworkAclEntry', 'ReplaceNetworkAclAssociation'];
const GATEWAYS = ['CreateCustomerGateway', 'DeleteCustomerGateway', 'AttachInternetGateway', 'CreateInternetGateway', 'DeleteInternetGateway', 'DetachInternetGateway'];
const ROUTES = ['CreateRoute', 'CreateRouteTable', 'ReplaceRoute', 'ReplaceRouteTableAssociation', 'DeleteRouteTable', 'DeleteRoute', 'DisassociateRouteTable'];
const VPC = ['CreateVpc', 'DeleteVpc', 'ModifyVpcAttribute', 'AcceptVpcPeeringConnection', 'CreateVpcPeeringConnection', 'DeleteVpcPeeringConnection', 'RejectVpcPeeringConnection', 'AttachClassicLinkVpc', 'DetachClassicLinkVpc', 'DisableVpcClassicLink', 'EnableVpcClassicLink'];
const ORGANIZATIONS = ['AcceptHandshake', 'AttachPolicy', 'CreateAccount', 'CreateOrganizationalUnit', 'CreatePolicy', 'DeclineHandshake', 'DeleteOrganization', 'DeleteOrganizationalUnit', 'DeletePolicy', 'DetachPolicy', 'DisablePolicyType', 'EnablePolicyType', 'InviteAccountToOrganization', 'LeaveOrganization', 'MoveAccount', 'RemoveAccountFromOrganization', 'UpdatePolicy', 'UpdateOrganizationalUnit'];

/** Published patterns by preset id (`cis-4.1` ... `cis-4.15`). */
export const CIS_METRIC_FILTER_VARIANTS: Readonly<Record<string, readonly MetricFilterVariant[]>> = {
  'cis-4.1': [
    { source: 'CIS v1.2 3.1, Security Hub CloudWatch.2', pattern: '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }' },
    { source: 'CIS v1.4-v3.0 4.1', pattern: '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || ($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }' },
    { source: 'CIS v4.0+ 4.1', pattern: '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") && ($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }' },
  ],
  'cis-4.2': [
    { source: 'CIS v1.2 3.2, v1.4+ 4.2', pattern: '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }' },
    { source: 'CIS v1.4+ 4.2 (IAM users, successful sign-ins), Security Hub CloudWatch.3', pattern: '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }' },
  ],
  'cis-4.3': [
    { source: 'CIS v1.2 3.3, v1.4+ 4.3, Security Hub CloudWatch.1', pattern: '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }' },
  ],
  'cis-4.4': [{ source: 'CIS v1.2 3.4, v1.4+ 4.4, Security Hub CloudWatch.4', pattern: `{ ${names(IAM_POLICY)} }` }],
  'cis-4.5': [{ source: 'CIS v1.2 3.5, v1.4+ 4.5, Security Hub CloudWatch.5', pattern: `{ ${names(CLOUDTRAIL)} }` }],
  'cis-4.6': [{ source: 'CIS v1.2 3.6, v1.4+ 4.6, Security Hub CloudWatch.6', pattern: '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }' }],
  'cis-4.7': [{ source: 'CIS v1.2 3.7, v1.4+ 4.7, Security Hub CloudWatch.7', pattern: '{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }' }],
  'cis-4.8': [{ source: 'CIS v1.2 3.8, v1.4+ 4.8, Security Hub CloudWatch.8', pattern: `{ ($.eventSource = s3.amazonaws.com) && (${names(S3_POLICY)}) }` }],
  'cis-4.9': [{ source: 'CIS v1.2 3.9, v1.4+ 4.9, Security Hub CloudWatch.9', pattern: `{ ($.eventSource = config.amazonaws.com) && (${names(CONFIG)}) }` }],
  'cis-4.10': [
    { source: 'CIS v1.2 3.10, v1.4-v4.0 4.10, Security Hub CloudWatch.10', pattern: `{ ${names(SECURITY_GROUPS)} }` },
    { source: 'CIS v5.0+ 4.10', pattern: `{ ${names([...SECURITY_GROUPS, 'ModifySecurityGroupRules'])} }` },
  ],
  'cis-4.11': [{ source: 'CIS v1.2 3.11, v1.4+ 4.11, Security Hub CloudWatch.11', pattern: `{ ${names(NACL)} }` }],
  'cis-4.12': [{ source: 'CIS v1.2 3.12, v1.4+ 4.12, Security Hub CloudWatch.12', pattern: `{ ${names(GATEWAYS)} }` }],
  'cis-4.13': [
    { source: 'CIS v1.2 3.13, v1.4+ 4.13 remediation, Security Hub CloudWatch.13', pattern: `{ ${names(ROUTES)} }` },
    { source: 'CIS v3.0+ 4.13 audit', pattern: `{ ($.eventSource = ec2.amazonaws.com) && ${names(ROUTES)} }` },
    { source: 'CIS v3.0+ 4.13 audit, with its event names grouped', pattern: `{ ($.eventSource = ec2.amazonaws.com) && (${names(ROUTES)}) }` },
  ],
  'cis-4.14': [{ source: 'CIS v1.2 3.14, v1.4+ 4.14, Security Hub CloudWatch.14', pattern: `{ ${names(VPC)} }` }],
  'cis-4.15': [{ source: 'CIS v1.4+ 4.15', pattern: `{ ($.eventSource = organizations.amazonaws.com) && (${names(ORGANIZATIONS, true)}) }` }],
};

import { describe, expect, it } from 'vitest';
import { CIS_PRESETS, findPreset, type CisPreset } from '../../src/core/cis-presets.js';
import { MAX_PATTERN_LENGTH, matchesPattern, parseFilterPattern, patternNeedle } from '../../src/core/filter-pattern.js';
import { needleHolds } from '../../src/core/needle.js';

const ALICE = {
  type: 'IAMUser',
  principalId: 'AIDAEXAMPLEALICE',
  arn: 'arn:aws:iam::123456789012:user/alice',
  accountId: '123456789012',
  accessKeyId: 'AKIAEXAMPLE',
  userName: 'alice',
};

const ROOT = {
  type: 'Root',
  principalId: '123456789012',
  arn: 'arn:aws:iam::123456789012:root',
  accountId: '123456789012',
  accessKeyId: '',
};

/** A realistic CloudTrail management event; `overrides` replace top-level fields. */
function event(overrides: Record<string, unknown>): Record<string, unknown> {
  const base: Record<string, unknown> = {
    eventVersion: '1.09',
    userIdentity: ALICE,
    eventTime: '2024-05-01T12:00:00Z',
    eventSource: 'ec2.amazonaws.com',
    eventName: 'DescribeInstances',
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.10',
    userAgent: 'aws-cli/2.15.0',
    requestParameters: null,
    responseElements: null,
    requestID: '6f1c0e5e-0000-4000-8000-000000000001',
    eventID: '8d3e1c2a-0000-4000-8000-000000000002',
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '123456789012',
    eventCategory: 'Management',
  };
  const merged = { ...base, ...overrides };
  for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
  return merged;
}

function consoleLogin(overrides: Record<string, unknown>): Record<string, unknown> {
  return event({
    eventSource: 'signin.amazonaws.com',
    eventName: 'ConsoleLogin',
    eventType: 'AwsConsoleSignIn',
    requestParameters: null,
    responseElements: { ConsoleLogin: 'Success' },
    additionalEventData: { LoginTo: 'https://console.aws.amazon.com/', MobileVersion: 'No', MFAUsed: 'Yes' },
    ...overrides,
  });
}

function preset(id: string): CisPreset {
  const p = findPreset(id);
  if (p === undefined) throw new Error(`no preset ${id}`);
  return p;
}

function matches(p: CisPreset, record: Record<string, unknown>): boolean {
  const raw = JSON.stringify(record);
  const pattern = parseFilterPattern(p.pattern);
  const result = matchesPattern(pattern, JSON.parse(raw), raw);
  // Whatever matches must also pass the needle pre-filter.
  if (result) expect(needleHolds(patternNeedle(pattern), raw)).toBe(true);
  return result;
}

describe('CIS_PRESETS', () => {
  it('has 4.1 to 4.15 in order', () => {
    expect(CIS_PRESETS.map((p) => p.id)).toEqual(Array.from({ length: 15 }, (_, k) => `cis-4.${k + 1}`));
  });

  it('has unique kebab-case names and unique metric names', () => {
    const names = CIS_PRESETS.map((p) => p.name);
    const metrics = CIS_PRESETS.map((p) => p.metricName);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(metrics).size).toBe(metrics.length);
    for (const p of CIS_PRESETS) {
      expect(p.name).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
      expect(p.metricName).toMatch(/^[A-Za-z0-9]+$/);
      expect(p.title.length).toBeGreaterThan(0);
    }
  });

  it.each(CIS_PRESETS.map((p) => [p.id, p] as const))('%s parses as a JSON pattern within the length limit, with a needle', (_, p) => {
    expect(p.pattern.length).toBeLessThanOrEqual(MAX_PATTERN_LENGTH);
    const pattern = parseFilterPattern(p.pattern);
    expect(pattern.kind).toBe('json');
    // Every preset names at least one literal, so searches with presets can skip most records unparsed.
    expect(patternNeedle(pattern).kind).not.toBe('any-record');
  });

  it('keeps the patterns SPEC section 7 gives verbatim', () => {
    expect(preset('4.1').pattern).toBe(
      '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") && ($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }',
    );
    expect(preset('4.2').pattern).toBe('{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }');
    expect(preset('4.3').pattern).toBe(
      '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
    );
    expect(preset('4.6').pattern).toBe('{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }');
  });
});

describe('findPreset', () => {
  const cases: [string, string | undefined][] = [
    ['cis-4.1', 'cis-4.1'],
    ['4.1', 'cis-4.1'],
    ['CIS-4.1', 'cis-4.1'],
    [' 4.1 ', 'cis-4.1'],
    ['unauthorized-api-calls', 'cis-4.1'],
    ['Unauthorized-API-Calls', 'cis-4.1'],
    ['4.10', 'cis-4.10'],
    ['cis-4.15', 'cis-4.15'],
    ['root-usage', 'cis-4.3'],
    ['ROOT-USAGE', 'cis-4.3'],
    ['4.16', undefined],
    ['4', undefined],
    ['cis-', undefined],
    ['', undefined],
    ['root', undefined],
    ['RootAccountUsage', undefined],
  ];
  it.each(cases)('%j finds %s', (query, id) => {
    expect(findPreset(query)?.id).toBe(id);
  });

  it('finds every preset by id, short id and name', () => {
    for (const p of CIS_PRESETS) {
      expect(findPreset(p.id)).toBe(p);
      expect(findPreset(p.id.slice('cis-'.length))).toBe(p);
      expect(findPreset(p.name)).toBe(p);
    }
  });
});

describe('preset matching on CloudTrail records', () => {
  const cases: [string, string, Record<string, unknown>, boolean][] = [
    // 4.1: `a || b && c && d` reads `a || (b && c && d)`, as CloudWatch reads it.
    ['4.1', 'EC2 UnauthorizedOperation', event({ eventName: 'RunInstances', errorCode: 'Client.UnauthorizedOperation', errorMessage: 'You are not authorized' }), true],
    ['4.1', 'S3 AccessDenied', event({ eventSource: 's3.amazonaws.com', eventName: 'GetObject', errorCode: 'AccessDenied' }), true],
    ['4.1', 'AccessDenied on HeadBucket', event({ eventSource: 's3.amazonaws.com', eventName: 'HeadBucket', errorCode: 'AccessDenied' }), false],
    ['4.1', 'AccessDenied from log delivery', event({ eventSource: 's3.amazonaws.com', eventName: 'PutObject', errorCode: 'AccessDenied', sourceIPAddress: 'delivery.logs.amazonaws.com' }), false],
    ['4.1', 'UnauthorizedOperation on HeadBucket', event({ eventName: 'HeadBucket', errorCode: 'Client.UnauthorizedOperation' }), true],
    ['4.1', 'a successful call', event({}), false],
    ['4.1', 'another error', event({ errorCode: 'ThrottlingException' }), false],
    ['4.1', 'case differs', event({ errorCode: 'accessdenied' }), false],
    ['4.2', 'console login without MFA', consoleLogin({ additionalEventData: { MFAUsed: 'No' } }), true],
    ['4.2', 'console login with MFA', consoleLogin({}), false],
    ['4.2', 'console login without additionalEventData', consoleLogin({ additionalEventData: undefined }), false],
    ['4.2', 'API call without MFA data', event({ additionalEventData: { MFAUsed: 'No' } }), false],
    ['4.3', 'root console call', event({ userIdentity: ROOT, eventSource: 'iam.amazonaws.com', eventName: 'GetAccountSummary' }), true],
    ['4.3', 'root console login', consoleLogin({ userIdentity: ROOT }), true],
    ['4.3', 'root call invoked by a service', event({ userIdentity: { ...ROOT, invokedBy: 'support.amazonaws.com' } }), false],
    ['4.3', 'root AwsServiceEvent', event({ userIdentity: ROOT, eventType: 'AwsServiceEvent' }), false],
    ['4.3', 'IAM user', event({}), false],
    ['4.4', 'PutRolePolicy', event({ eventSource: 'iam.amazonaws.com', eventName: 'PutRolePolicy' }), true],
    ['4.4', 'CreatePolicyVersion', event({ eventSource: 'iam.amazonaws.com', eventName: 'CreatePolicyVersion' }), true],
    ['4.4', 'GetRolePolicy', event({ eventSource: 'iam.amazonaws.com', eventName: 'GetRolePolicy' }), false],
    ['4.5', 'StopLogging', event({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging' }), true],
    ['4.5', 'DescribeTrails', event({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'DescribeTrails' }), false],
    ['4.6', 'failed console login', consoleLogin({ errorMessage: 'Failed authentication', responseElements: { ConsoleLogin: 'Failure' } }), true],
    ['4.6', 'successful console login', consoleLogin({}), false],
    ['4.6', 'failed with another message', consoleLogin({ errorMessage: 'No username found in supplied account' }), false],
    ['4.7', 'KMS DisableKey', event({ eventSource: 'kms.amazonaws.com', eventName: 'DisableKey' }), true],
    ['4.7', 'KMS ScheduleKeyDeletion', event({ eventSource: 'kms.amazonaws.com', eventName: 'ScheduleKeyDeletion' }), true],
    ['4.7', 'KMS Decrypt', event({ eventSource: 'kms.amazonaws.com', eventName: 'Decrypt', readOnly: true }), false],
    ['4.7', 'DisableKey elsewhere', event({ eventSource: 'payment-cryptography.amazonaws.com', eventName: 'DisableKey' }), false],
    ['4.8', 'PutBucketPolicy', event({ eventSource: 's3.amazonaws.com', eventName: 'PutBucketPolicy' }), true],
    ['4.8', 'GetBucketPolicy', event({ eventSource: 's3.amazonaws.com', eventName: 'GetBucketPolicy' }), false],
    ['4.8', 'PutBucketAcl outside S3', event({ eventName: 'PutBucketAcl' }), false],
    ['4.9', 'StopConfigurationRecorder', event({ eventSource: 'config.amazonaws.com', eventName: 'StopConfigurationRecorder' }), true],
    ['4.9', 'DescribeConfigurationRecorders', event({ eventSource: 'config.amazonaws.com', eventName: 'DescribeConfigurationRecorders' }), false],
    ['4.10', 'AuthorizeSecurityGroupIngress', event({ eventName: 'AuthorizeSecurityGroupIngress' }), true],
    ['4.10', 'DescribeSecurityGroups', event({ eventName: 'DescribeSecurityGroups' }), false],
    ['4.11', 'CreateNetworkAclEntry', event({ eventName: 'CreateNetworkAclEntry' }), true],
    ['4.11', 'DescribeNetworkAcls', event({ eventName: 'DescribeNetworkAcls' }), false],
    ['4.12', 'AttachInternetGateway', event({ eventName: 'AttachInternetGateway' }), true],
    ['4.12', 'DescribeInternetGateways', event({ eventName: 'DescribeInternetGateways' }), false],
    ['4.13', 'CreateRoute', event({ eventName: 'CreateRoute' }), true],
    ['4.13', 'DescribeRouteTables', event({ eventName: 'DescribeRouteTables' }), false],
    ['4.14', 'CreateVpcPeeringConnection', event({ eventName: 'CreateVpcPeeringConnection' }), true],
    ['4.14', 'DescribeVpcs', event({ eventName: 'DescribeVpcs' }), false],
    ['4.15', 'LeaveOrganization', event({ eventSource: 'organizations.amazonaws.com', eventName: 'LeaveOrganization' }), true],
    ['4.15', 'ListAccounts', event({ eventSource: 'organizations.amazonaws.com', eventName: 'ListAccounts' }), false],
    ['4.15', 'CreatePolicy in IAM', event({ eventSource: 'iam.amazonaws.com', eventName: 'CreatePolicy' }), false],
  ];
  it.each(cases)('%s: %s -> %s', (id, _, record, expected) => {
    expect(matches(preset(id), record)).toBe(expected);
  });

  it('has a matching and a non-matching case for every preset', () => {
    for (const p of CIS_PRESETS) {
      const own = cases.filter(([id]) => preset(id) === p);
      expect(own.some(([, , , m]) => m), p.id).toBe(true);
      expect(own.some(([, , , m]) => !m), p.id).toBe(true);
    }
  });

  // The event-name lists as the benchmark gives them, with the service each preset requires.
  const eventLists: [string, string, string[]][] = [
    ['4.4', 'iam.amazonaws.com', ['DeleteGroupPolicy', 'DeleteRolePolicy', 'DeleteUserPolicy', 'PutGroupPolicy', 'PutRolePolicy', 'PutUserPolicy', 'CreatePolicy', 'DeletePolicy', 'CreatePolicyVersion', 'DeletePolicyVersion', 'AttachRolePolicy', 'DetachRolePolicy', 'AttachUserPolicy', 'DetachUserPolicy', 'AttachGroupPolicy', 'DetachGroupPolicy']],
    ['4.5', 'cloudtrail.amazonaws.com', ['CreateTrail', 'UpdateTrail', 'DeleteTrail', 'StartLogging', 'StopLogging']],
    ['4.7', 'kms.amazonaws.com', ['DisableKey', 'ScheduleKeyDeletion']],
    ['4.8', 's3.amazonaws.com', ['PutBucketAcl', 'PutBucketPolicy', 'PutBucketCors', 'PutBucketLifecycle', 'PutBucketReplication', 'DeleteBucketPolicy', 'DeleteBucketCors', 'DeleteBucketLifecycle', 'DeleteBucketReplication']],
    ['4.9', 'config.amazonaws.com', ['StopConfigurationRecorder', 'DeleteDeliveryChannel', 'PutDeliveryChannel', 'PutConfigurationRecorder']],
    ['4.10', 'ec2.amazonaws.com', ['AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress', 'RevokeSecurityGroupIngress', 'RevokeSecurityGroupEgress', 'CreateSecurityGroup', 'DeleteSecurityGroup', 'ModifySecurityGroupRules']],
    ['4.11', 'ec2.amazonaws.com', ['CreateNetworkAcl', 'CreateNetworkAclEntry', 'DeleteNetworkAcl', 'DeleteNetworkAclEntry', 'ReplaceNetworkAclEntry', 'ReplaceNetworkAclAssociation']],
    ['4.12', 'ec2.amazonaws.com', ['CreateCustomerGateway', 'DeleteCustomerGateway', 'AttachInternetGateway', 'CreateInternetGateway', 'DeleteInternetGateway', 'DetachInternetGateway']],
    ['4.13', 'ec2.amazonaws.com', ['CreateRoute', 'CreateRouteTable', 'ReplaceRoute', 'ReplaceRouteTableAssociation', 'DeleteRouteTable', 'DeleteRoute', 'DisassociateRouteTable']],
    ['4.14', 'ec2.amazonaws.com', ['CreateVpc', 'DeleteVpc', 'ModifyVpcAttribute', 'AcceptVpcPeeringConnection', 'CreateVpcPeeringConnection', 'DeleteVpcPeeringConnection', 'RejectVpcPeeringConnection', 'AttachClassicLinkVpc', 'DetachClassicLinkVpc', 'DisableVpcClassicLink', 'EnableVpcClassicLink']],
    ['4.15', 'organizations.amazonaws.com', ['AcceptHandshake', 'AttachPolicy', 'CreateAccount', 'CreateOrganizationalUnit', 'CreatePolicy', 'DeclineHandshake', 'DeleteOrganization', 'DeleteOrganizationalUnit', 'DeletePolicy', 'DetachPolicy', 'DisablePolicyType', 'EnablePolicyType', 'InviteAccountToOrganization', 'LeaveOrganization', 'MoveAccount', 'RemoveAccountFromOrganization', 'UpdatePolicy', 'UpdateOrganizationalUnit']],
  ];
  it.each(eventLists)('%s matches exactly its %s event names', (id, eventSource, names) => {
    const p = preset(id);
    for (const eventName of names) {
      expect(matches(p, event({ eventSource, eventName })), eventName).toBe(true);
      // Names are compared whole and case-sensitively.
      expect(matches(p, event({ eventSource, eventName: `${eventName}s` })), `${eventName}s`).toBe(false);
      expect(matches(p, event({ eventSource, eventName: eventName.toLowerCase() })), eventName.toLowerCase()).toBe(false);
    }
    const listed = [...p.pattern.matchAll(/\$\.eventName\s*=\s*"?([A-Za-z]+)"?/g)].map((m) => m[1]);
    expect(listed.sort()).toEqual([...names].sort());
  });
});

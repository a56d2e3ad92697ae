import { describe, expect, it } from 'vitest';
import { publicStatements } from '../../src/core/bucket-public-access.js';
import { evaluateChecks, type TrailEvidence } from '../../src/core/verify-checks.js';

const BUCKET = 'arn:aws:s3:::trail-bucket';
const stmt = (extra: Record<string, unknown>) => ({ Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET}/*`, ...extra });

/** [case, statement, public as S3 defines it, where the case comes from]. */
const CASES: [string, Record<string, unknown>, boolean, string][] = [
  ['everyone, no condition', stmt({ Principal: '*' }), true, 'S3 user guide example'],
  ['a federated principal', stmt({ Principal: { Federated: 'graph.facebook.com' } }), true, 'S3 user guide example'],
  ['everyone from any VPC (wildcard)', stmt({ Principal: '*', Condition: { StringLike: { 'aws:SourceVpc': 'vpc-*' } } }), true, 'S3 user guide example'],
  ['everyone from one VPC', stmt({ Principal: '*', Condition: { StringEquals: { 'aws:SourceVpc': 'vpc-91237329' } } }), false, 'S3 user guide example'],
  ['everyone from 0.0.0.0/1', stmt({ Principal: '*', Condition: { IpAddress: { 'aws:SourceIp': '0.0.0.0/1' } } }), true, 'S3 user guide note'],
  ['everyone from a /8', stmt({ Principal: '*', Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }), false, 'S3 user guide note'],
  ['everyone from an IPv6 /16', stmt({ Principal: '*', Condition: { IpAddress: { 'aws:SourceIp': '2001:db8::/16' } } }), true, 'S3 user guide note'],
  ['everyone from an IPv6 /32', stmt({ Principal: '*', Condition: { IpAddress: { 'aws:SourceIp': '2001:db8::/32' } } }), false, 'S3 user guide note'],
  ['one fixed account', stmt({ Principal: { AWS: 'arn:aws:iam::222222222222:root' } }), false, 'a fixed AWS principal'],
  ['a service principal', stmt({ Principal: { Service: 'cloudtrail.amazonaws.com' } }), false, 'a fixed service principal'],
  ['any account root (wildcard in the ARN)', stmt({ Principal: { AWS: 'arn:aws:iam::*:root' } }), true, 'not a fixed value'],
  ['Allow with NotPrincipal', stmt({ NotPrincipal: { AWS: 'arn:aws:iam::222222222222:root' } }), true, 'everyone but one'],
  ['a Deny to everyone', { ...stmt({ Principal: '*' }), Effect: 'Deny' }, false, 'denies grant nothing'],
  ['everyone with a User-Agent', stmt({ Principal: '*', Condition: { StringEquals: { 'aws:UserAgent': 'internal-tool' } } }), true, 'not a limiting key'],
  ['everyone with a Referer', stmt({ Principal: '*', Condition: { StringLike: { 'aws:Referer': 'https://example.com/*' } } }), true, 'not a limiting key'],
  ['everyone over TLS', stmt({ Principal: '*', Condition: { Bool: { 'aws:SecureTransport': 'true' } } }), true, 'not a limiting key'],
  ['everyone but one account (StringNotEquals)', stmt({ Principal: '*', Condition: { StringNotEquals: { 'aws:SourceAccount': '222222222222' } } }), true, 'a negated test lets everyone else in'],
  ['everyone when the key may be absent (IfExists)', stmt({ Principal: '*', Condition: { StringEqualsIfExists: { 'aws:SourceAccount': '222222222222' } } }), true, 'absent key passes'],
  ['everyone from one account', stmt({ Principal: '*', Condition: { StringEquals: { 'aws:SourceAccount': '222222222222' } } }), false, 'fixed aws:SourceAccount'],
  ['everyone for any trail of the account (wildcard)', stmt({ Principal: '*', Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:cloudtrail:*:222222222222:trail/*' } } }), true, 'not a fixed value'],
  ['everyone for one trail', stmt({ Principal: '*', Condition: { ArnEquals: { 'aws:SourceArn': 'arn:aws:cloudtrail:us-east-1:222222222222:trail/main' } } }), false, 'fixed aws:SourceArn'],
  ['everyone in one organization', stmt({ Principal: '*', Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } } }), false, 'fixed aws:PrincipalOrgID'],
  ['everyone, organization by policy variable', stmt({ Principal: '*', Condition: { StringEquals: { 'aws:PrincipalOrgID': '${aws:PrincipalTag/org}' } } }), true, 'a policy variable is not fixed'],
  ["an account's access points", stmt({ Principal: '*', Condition: { StringLike: { 's3:DataAccessPointArn': 'arn:aws:s3:us-west-2:222222222222:accesspoint/*' } } }), false, 'S3 user guide note'],
  ["any account's access points", stmt({ Principal: '*', Condition: { StringLike: { 's3:DataAccessPointArn': 'arn:aws:s3:us-west-2:*:accesspoint/*' } } }), true, 'account not fixed'],
  ['everyone, any of the AWS principals is *', stmt({ Principal: { AWS: ['arn:aws:iam::123456789012:root', '*'] }, Action: 's3:PutObject' }), true, 'prowler s3_bucket_public_access: aws_principals'],
  ['everyone from a private address', stmt({ Principal: '*', Action: 's3:PutObject', Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.25' } } }), false, 'prowler s3_bucket_public_access: private_ip'],
  ['everyone from one VPC (prowler)', stmt({ Principal: '*', Action: 's3:PutObject', Condition: { StringEquals: { 'aws:SourceVpc': 'vpc-123456' } } }), false, 'prowler s3_bucket_public_access: vpc'],
  // prowler fails these two (a public address is "public" to it); S3 calls fixed CIDRs no wider than /8 non-public.
  ['everyone from one public address', stmt({ Principal: '*', Action: 's3:PutObject', Condition: { IpAddress: { 'aws:SourceIp': '1.2.3.4' } } }), false, 'prowler s3_bucket_public_access: public_ip (prowler: public)'],
  ['everyone from private and public ranges', stmt({ Principal: '*', Action: 's3:PutObject', Condition: { IpAddress: { 'aws:SourceIp': ['192.168.10.0/24', '2001:DB8:1234:5678::/64', '1.2.3.4'] } } }), false, 'prowler s3_bucket_public_access: public_and_private_ips (prowler: public)'],
  ['public write', stmt({ Principal: '*', Action: 's3:PutObject' }), true, 'prowler s3_bucket_policy_public_write_access: public_write'],
  ['public Get*', stmt({ Principal: '*', Action: 's3:Get*' }), true, 'prowler s3_bucket_policy_public_write_access: get_asterisk (a read: its write check passes)'],
  ['a Deny on unencrypted writes', { Sid: 'DenyIncorrectEncryptionHeader', Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: `${BUCKET}/*`, Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' } } }, false, 'prowler s3_bucket_policy_public_write_access: comply_policy'],
];

const NOW = Date.parse('2026-11-20T12:00:00Z');

/** verify's bucket-public-access on a bucket with this one statement; `s3` is S3's own verdict (undefined: the call was denied). */
function check(statement: Record<string, unknown>, s3: boolean | undefined, acl: string[] = []) {
  const evidence: TrailEvidence = {
    trailRef: 'main', now: NOW, integrityHours: 24,
    trail: { ok: true, value: { name: 'main', arn: 'arn:aws:cloudtrail:us-east-1:111111111111:trail/main', homeRegion: 'us-east-1', s3BucketName: 'trail-bucket' } },
    bucketExists: { ok: true, value: true },
    bucketPolicy: { ok: true, value: JSON.stringify({ Version: '2012-10-17', Statement: [statement] }) },
    bucketPolicyIsPublic: s3 === undefined ? { ok: false, denied: 's3:GetBucketPolicyStatus', error: 'AccessDenied' } : { ok: true, value: s3 },
    publicAccessBlock: { ok: true, value: undefined },
    bucketAclPublicGrants: { ok: true, value: acl },
  };
  return evaluateChecks(evidence).find((c) => c.id === 'bucket-public-access');
}

describe('publicStatements: public as S3 defines it', () => {
  it.each(CASES)('%s', (_name, statement, expected) => {
    expect(publicStatements({ Statement: [statement] }).length > 0).toBe(expected);
  });

  it.each(CASES)('verify agrees with S3 and without it: %s', (_name, statement, expected) => {
    const withS3 = check(statement, expected);
    const withoutS3 = check(statement, undefined);
    expect(withS3?.status).toBe(expected ? 'fail' : 'warn');
    expect(withoutS3?.status).toBe(withS3?.status);
    expect(withoutS3?.evidence['trailkitVerdict']).toBe(expected);
  });

  it('names the reason for each public statement', () => {
    expect(publicStatements({ Statement: [{ Sid: 'Agent', ...stmt({ Principal: '*', Condition: { StringEquals: { 'aws:UserAgent': 'x' } } }) }, stmt({ Principal: '*', Condition: { IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } } })] })).toEqual([
      { index: 0, sid: 'Agent', reason: 'Principal "*", and its condition (aws:UserAgent) does not limit who may use it' },
      { index: 1, reason: 'Principal "*", and its condition (aws:SourceIp 0.0.0.0/0 is wider than /8) does not limit who may use it' },
    ]);
  });
});

describe('ACL grants', () => {
  const closed = stmt({ Principal: { Service: 'cloudtrail.amazonaws.com' } });
  it.each([
    ['READ to AllUsers', 'prowler cloudtrail_logs_s3_bucket_is_not_publicly_accessible: public_acl'],
    ['READ to AuthenticatedUsers', 'prowler cloudtrail_logs_s3_bucket_is_not_publicly_accessible: not_public_acl (prowler passes it; S3 calls any AuthenticatedUsers grant public)'],
  ])('%s is public (%s)', (grant) => {
    expect(check(closed, false, [grant])).toMatchObject({ status: 'fail', message: expect.stringContaining(grant) });
  });
  it('no grant and no public statement is not public (prowler: no_acl)', () => {
    expect(check(closed, false)?.status).toBe('warn');
  });
});

import { describe, expect, it } from 'vitest';
import { mergeBucketPolicy } from '../../src/core/policies.js';

const ACCOUNT = '111122223333';
const TRAIL = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/main`;
const OTHER = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/other`;
const input = { bucket: 'b', account: ACCOUNT, trailArn: TRAIL };
const acl = (sourceArn = OTHER) => `{"Sid":"AWSCloudTrailAclCheck20150319","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::b","Condition":{"StringEquals":{"aws:SourceArn":"${sourceArn}"}}}`;
const policy = (...statements: string[]) => `{\n  "Version": "2012-10-17",\n  "Statement": [\n    ${statements.join(',\n    ')}\n  ]\n}`;
type Doc = { Statement: { Sid?: string; Effect: string }[] };
const sids = (text: string) => (JSON.parse(text) as Doc).Statement.map((s) => s.Sid);

describe('setup merges a bucket policy by meaning, never rewriting what it did not write', () => {
  it('a user-guide write statement extended with config.amazonaws.com still grants CloudTrail: nothing added, nothing changed', () => {
    const write = `{"Sid":"AWSCloudTrailWrite20150319","Effect":"Allow","Principal":{"Service":["cloudtrail.amazonaws.com","config.amazonaws.com"]},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b/AWSLogs/${ACCOUNT}/*","Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}`;
    const deny = '{"Sid":"DenyHttp","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}';
    const text = policy(acl(TRAIL), write, deny);
    const r = mergeBucketPolicy(text, input);
    expect(r.action).toBe('unchanged');
    expect(r.text).toBe(text);
    expect(r.notes).toEqual(['AWSCloudTrailAclCheck20150319 already grants what TrailkitCloudTrailAclCheck would', 'AWSCloudTrailWrite20150319 already grants what TrailkitCloudTrailWrite would', 'DenyHttp already denies requests without TLS']);
  });

  it('the same statement for another trail is kept byte for byte (config principal and all); setup adds its own', () => {
    const write = `{"Sid":"AWSCloudTrailWrite20150319","Effect":"Allow","Principal":{"Service":["cloudtrail.amazonaws.com","config.amazonaws.com"]},"Action":["s3:PutObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::b/AWSLogs/${ACCOUNT}/*","Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control","aws:SourceArn":"${OTHER}"}}}`;
    const text = policy(acl(), write);
    const r = mergeBucketPolicy(text, input);
    expect(r.action).toBe('update');
    expect(r.text).toContain(acl());
    expect(r.text).toContain(write);
    expect(sids(r.text)).toEqual(['AWSCloudTrailAclCheck20150319', 'AWSCloudTrailWrite20150319', 'TrailkitCloudTrailAclCheck', 'TrailkitCloudTrailWrite', 'TrailkitDenyInsecureTransport']);
    expect(r.written.map((s) => s.Sid)).toEqual(['TrailkitCloudTrailAclCheck', 'TrailkitCloudTrailWrite', 'TrailkitDenyInsecureTransport']);
    expect(mergeBucketPolicy(r.text, input).action).toBe('unchanged');
  });

  it('a stricter "deny TLS below 1.2" rule, even under setup\'s own Sid, is never touched; the non-TLS deny is added beside it', () => {
    const tls12 = '{"Sid":"TrailkitDenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"NumericLessThan":{"s3:TlsVersion":"1.2"}}}';
    const text = policy(acl(TRAIL), tls12);
    const r = mergeBucketPolicy(text, input);
    expect(r.text).toContain(tls12);
    expect(sids(r.text)).toEqual(['AWSCloudTrailAclCheck20150319', 'TrailkitDenyInsecureTransport', 'TrailkitCloudTrailWrite', 'TrailkitDenyInsecureTransport2']);
    const added = (JSON.parse(r.text) as { Statement: Record<string, unknown>[] }).Statement[3];
    expect(added).toMatchObject({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    expect(mergeBucketPolicy(r.text, input).action).toBe('unchanged');
  });

  it('a foreign Deny is kept byte for byte, and the plan warns when it blocks CloudTrail', () => {
    const kmsOnly = '{"Sid":"DenyUnencrypted","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}}';
    const r = mergeBucketPolicy(policy(kmsOnly), input);
    expect(r.text).toContain(kmsOnly);
    expect(r.notes).toContain("warning: DenyUnencrypted denies CloudTrail's s3:PutObject; CloudTrail cannot deliver until it is changed (left as it is)");
  });

  it('--no-deny-insecure-transport writes no deny', () => {
    const r = mergeBucketPolicy(undefined, { ...input, denyInsecureTransport: false });
    expect(sids(r.text)).toEqual(['TrailkitCloudTrailAclCheck', 'TrailkitCloudTrailWrite']);
  });

  it('a Sid of setup\'s on a statement of another shape is left, and setup uses a free Sid', () => {
    const lookalike = `{"Sid":"TrailkitCloudTrailWrite","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}`;
    const r = mergeBucketPolicy(policy(acl(TRAIL), lookalike), input);
    expect(r.text).toContain(lookalike);
    expect(sids(r.text)).toContain('TrailkitCloudTrailWrite2');
  });
});

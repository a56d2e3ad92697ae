import { describe, expect, it } from 'vitest';
import {
  assumeRolePolicy, bucketPolicy, cloudWatchRolePolicy, equivalent, kmsKeyPolicy, mergeBucketPolicy, mergeBySid, mergeKmsKeyPolicy,
  mergeSnsTopicPolicy, mergeTrustPolicy, readerPolicy, snsTopicPolicy, trustAllowsCloudTrail,
} from '../../src/core/policies.js';

const TRAIL = 'arn:aws:cloudtrail:us-east-1:111122223333:trail/main';

describe('policy builders (exact documents, SPEC section 4)', () => {
  it('bucket policy with prefix and organization', () => {
    expect(bucketPolicy({ bucket: 'b', prefix: '/p/', account: '111122223333', trailArn: TRAIL, organizationId: 'o-abcdefghij' })).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'AWSCloudTrailAclCheck20150319', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 's3:GetBucketAcl', Resource: 'arn:aws:s3:::b', Condition: { StringEquals: { 'aws:SourceArn': TRAIL } } },
        { Sid: 'AWSCloudTrailWrite20150319', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 's3:PutObject', Resource: 'arn:aws:s3:::b/p/AWSLogs/111122223333/*', Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': TRAIL } } },
        { Sid: 'AWSCloudTrailOrganizationWrite20150319', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 's3:PutObject', Resource: 'arn:aws:s3:::b/p/AWSLogs/o-abcdefghij/*', Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': TRAIL } } },
        { Sid: 'TrailkitDenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'], Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
      ],
    });
  });

  it('bucket policy without prefix, without the TLS statement', () => {
    const doc = bucketPolicy({ bucket: 'b', account: '111122223333', trailArn: TRAIL, denyInsecureTransport: false });
    expect(doc.Statement.map((s) => s.Sid)).toEqual(['AWSCloudTrailAclCheck20150319', 'AWSCloudTrailWrite20150319']);
    expect(doc.Statement[1]?.['Resource']).toBe('arn:aws:s3:::b/AWSLogs/111122223333/*');
  });

  it('KMS key policy', () => {
    const doc = kmsKeyPolicy({ account: '111122223333', trailArn: TRAIL });
    expect(doc.Statement[1]).toEqual({
      Sid: 'Allow CloudTrail to encrypt logs', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'kms:GenerateDataKey*', Resource: '*',
      Condition: { StringEquals: { 'aws:SourceArn': TRAIL }, StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': 'arn:aws:cloudtrail:*:111122223333:trail/*' } },
    });
    expect(doc.Statement[2]).toEqual({ Sid: 'Allow CloudTrail to describe key', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'kms:DescribeKey', Resource: '*' });
    expect(doc.Statement[3]).toEqual({
      Sid: 'Allow principals in the account to decrypt log files', Effect: 'Allow', Principal: { AWS: '*' }, Action: ['kms:Decrypt', 'kms:ReEncryptFrom'], Resource: '*',
      Condition: { StringEquals: { 'kms:CallerAccount': '111122223333' }, Null: { 'kms:EncryptionContext:aws:cloudtrail:arn': 'false' } },
    });
    expect(doc.Statement[0]).toEqual({ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' });
  });

  it('SNS topic policy', () => {
    expect(snsTopicPolicy({ topicArn: 'arn:aws:sns:us-east-1:111122223333:t', trailArn: TRAIL })).toEqual({
      Version: '2012-10-17',
      Statement: [{ Sid: 'AWSCloudTrailSNSPolicy20150319', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'SNS:Publish', Resource: 'arn:aws:sns:us-east-1:111122223333:t', Condition: { StringEquals: { 'aws:SourceArn': TRAIL } } }],
    });
  });

  it('CloudWatch Logs role permissions, with the organization streams', () => {
    const streams = [
      'arn:aws:logs:eu-west-1:111122223333:log-group:ct:log-stream:111122223333_CloudTrail_eu-west-1*',
      'arn:aws:logs:eu-west-1:111122223333:log-group:ct:log-stream:o-abcdefghij_*',
    ];
    expect(cloudWatchRolePolicy({ region: 'eu-west-1', account: '111122223333', logGroup: 'ct', organizationId: 'o-abcdefghij' })).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'AWSCloudTrailCreateLogStream20141101', Effect: 'Allow', Action: ['logs:CreateLogStream'], Resource: streams },
        { Sid: 'AWSCloudTrailPutLogEvents20141101', Effect: 'Allow', Action: ['logs:PutLogEvents'], Resource: streams },
      ],
    });
  });

  it('assume-role trust, with and without the source ARN', () => {
    expect(assumeRolePolicy()).toEqual({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    expect(assumeRolePolicy({ trailArn: TRAIL }).Statement[0]?.['Condition']).toEqual({ StringEquals: { 'aws:SourceArn': TRAIL } });
  });

  it('reader policy', () => {
    const doc = readerPolicy({ bucket: 'b', organization: true, kmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/k' });
    expect(doc.Statement.map((s) => [s['Action'], s['Resource']])).toEqual([
      [['cloudtrail:DescribeTrails', 'cloudtrail:GetTrailStatus'], '*'],
      [['s3:ListBucket', 's3:GetBucketLocation'], 'arn:aws:s3:::b'],
      ['s3:GetObject', 'arn:aws:s3:::b/*'],
      ['organizations:DescribeOrganization', '*'],
      ['kms:Decrypt', 'arn:aws:kms:us-east-1:111122223333:key/k'],
    ]);
  });
});

describe('merge by Sid', () => {
  const input = { bucket: 'b', account: '111122223333', trailArn: TRAIL };
  const desired = bucketPolicy(input);
  const foreign = '{ "Sid" : "KeepMe",  "Effect":"Allow", "Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*" }';
  const existing = `{\n  "Version": "2012-10-17",\n  "Id": "mine",\n  "Statement": [\n    ${foreign}\n  ]\n}`;

  it('creates from nothing', () => {
    const r = mergeBySid(undefined, desired);
    expect(r.action).toBe('create');
    expect(JSON.parse(r.text)).toEqual(desired);
  });

  it('keeps a statement it did not write byte for byte, and the document\'s other members', () => {
    const r = mergeBucketPolicy(existing, input);
    expect(r.action).toBe('update');
    expect(r.text).toContain(foreign);
    expect(r.text.startsWith('{\n  "Version": "2012-10-17",\n  "Id": "mine",\n  "Statement": [\n    { "Sid" : "KeepMe"')).toBe(true);
    const parsed = JSON.parse(r.text) as { Statement: { Sid: string }[] };
    // setup writes its own Sids; AWS's documented ones belong to whoever copied the user guide.
    expect(parsed.Statement.map((s) => s.Sid)).toEqual(['KeepMe', 'TrailkitCloudTrailAclCheck', 'TrailkitCloudTrailWrite', 'TrailkitDenyInsecureTransport']);
    expect(r.written.map((s) => s.Sid)).toEqual(['TrailkitCloudTrailAclCheck', 'TrailkitCloudTrailWrite', 'TrailkitDenyInsecureTransport']);
    expect(r.statements.map((s) => s.action)).toEqual(['create', 'create', 'create']);
  });

  it('is unchanged on a second merge, returning the same text', () => {
    const once = mergeBucketPolicy(existing, input).text;
    const twice = mergeBucketPolicy(once, input);
    expect(twice.action).toBe('unchanged');
    expect(twice.text).toBe(once);
  });

  it('treats ["x"] as "x" and ignores key order when comparing', () => {
    const reordered = JSON.stringify({ Statement: desired.Statement.map((s) => ({ ...s, Action: [s['Action']] })).reverse(), Version: '2012-10-17' });
    expect(mergeBySid(reordered, desired).action).toBe('unchanged');
    expect(mergeBucketPolicy(reordered, input).action).toBe('unchanged');
    expect(equivalent({ a: ['x', 'y'] }, { a: ['y', 'x'] })).toBe(true);
  });

  it('updates a statement of ours that differs, in place, and keeps the others', () => {
    const stale = JSON.stringify({ Version: '2012-10-17', Statement: [JSON.parse(foreign), { ...desired.Statement[1], Action: 's3:*' }] });
    const r = mergeBySid(stale, desired);
    const parsed = JSON.parse(r.text) as { Statement: Record<string, unknown>[] };
    expect(parsed.Statement[0]).toEqual(JSON.parse(foreign));
    expect(parsed.Statement[1]).toEqual(desired.Statement[1]);
    expect(r.statements.find((s) => s.sid === 'AWSCloudTrailWrite20150319')?.action).toBe('update');
  });

  it('keeps another trail\'s ARN and folder when two trails share a bucket', () => {
    const other = 'arn:aws:cloudtrail:us-east-1:111122223333:trail/other';
    const first = mergeBucketPolicy(undefined, { bucket: 'b', account: '111122223333', trailArn: other, prefix: 'o' }).text;
    const r = mergeBucketPolicy(first, input);
    type Statement = { Sid: string; Resource: unknown; Condition: { StringEquals: Record<string, unknown> } };
    // setup's own statement (its Sid, its shape) is widened to the second trail.
    const write = (JSON.parse(r.text) as { Statement: Statement[] }).Statement.find((s) => s.Sid === 'TrailkitCloudTrailWrite');
    expect(write?.Condition.StringEquals['aws:SourceArn']).toEqual([other, TRAIL]);
    expect(write?.Resource).toEqual(['arn:aws:s3:::b/o/AWSLogs/111122223333/*', 'arn:aws:s3:::b/AWSLogs/111122223333/*']);
  });

  it('a single Statement object becomes a list with it first', () => {
    const single = `{"Version":"2012-10-17","Statement":${foreign}}`;
    const parsed = JSON.parse(mergeBySid(single, desired).text) as { Statement: { Sid: string }[] };
    expect(parsed.Statement[0]?.Sid).toBe('KeepMe');
    expect(parsed.Statement).toHaveLength(4);
  });

  it('KMS: never rewrites the account\'s own admin statement', () => {
    const current = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:user/admin' }, Action: 'kms:*', Resource: '*' }] });
    const r = mergeKmsKeyPolicy(current, kmsKeyPolicy({ account: '111122223333', trailArn: TRAIL }));
    expect(r.statements[0]).toEqual({ sid: 'Enable IAM User Permissions', action: 'unchanged' });
    expect(r.text.startsWith(current.slice(0, current.length - 2))).toBe(true);
  });

  it('rejects a policy that is not JSON', () => {
    expect(() => mergeBySid('{nope', desired)).toThrow(/not valid JSON/);
  });
});

describe('trust policies', () => {
  it('recognises CloudTrail trust with and without a matching source ARN', () => {
    expect(trustAllowsCloudTrail(assumeRolePolicy(), TRAIL)).toBe(true);
    expect(trustAllowsCloudTrail(assumeRolePolicy({ trailArn: TRAIL }), TRAIL)).toBe(true);
    expect(trustAllowsCloudTrail(assumeRolePolicy({ trailArn: 'arn:aws:cloudtrail:us-east-1:111122223333:trail/x' }), TRAIL)).toBe(false);
    expect(trustAllowsCloudTrail({ Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] })).toBe(false);
  });
  it('adds a CloudTrail statement to a role that trusts something else, keeping it', () => {
    const ec2 = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}';
    const r = mergeTrustPolicy(ec2, TRAIL);
    expect(r.action).toBe('update');
    expect(r.text).toContain('{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}');
    expect(trustAllowsCloudTrail(JSON.parse(r.text), TRAIL)).toBe(true);
  });
});

describe('a bucket, key or topic shared with other trails keeps letting them in', () => {
  const ACCOUNT = '111122223333';
  const OTHER = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/other`;
  type Statement = { Sid: string; Condition?: Record<string, Record<string, unknown>>; Resource?: unknown };
  const statement = (text: string, sid: string) => (JSON.parse(text) as { Statement: Statement[] }).Statement.find((s) => s.Sid === sid);
  const bucket = { bucket: 'b', account: ACCOUNT, trailArn: TRAIL, denyInsecureTransport: false };
  const withStatements = (...statements: unknown[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
  const acl = (condition?: unknown) => ({ Sid: 'AWSCloudTrailAclCheck20150319', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 's3:GetBucketAcl', Resource: 'arn:aws:s3:::b', ...(condition === undefined ? {} : { Condition: condition }) });
  const write = (condition: unknown) => ({ Sid: 'AWSCloudTrailWrite20150319', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 's3:PutObject', Resource: `arn:aws:s3:::b/AWSLogs/${ACCOUNT}/*`, Condition: condition });

  it('the older user-guide policy (no aws:SourceArn) is left as it is, not narrowed to this trail', () => {
    const old = withStatements(acl(), write({ StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' } }));
    const r = mergeBucketPolicy(old, bucket);
    expect(r.action).toBe('unchanged');
    expect(r.text).toBe(old);
  });

  it('another trail\'s statements under AWS\'s Sids are kept byte for byte; this trail gets setup\'s own', () => {
    const existing = withStatements(acl({ StringEquals: { 'AWS:SourceArn': OTHER } }), write({ StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'AWS:SourceArn': OTHER } }));
    const r = mergeBucketPolicy(existing, bucket);
    expect(r.text.startsWith(existing.slice(0, -2))).toBe(true);
    expect(statement(r.text, 'TrailkitCloudTrailAclCheck')?.Condition).toEqual({ StringEquals: { 'aws:SourceArn': TRAIL } });
    expect(statement(r.text, 'TrailkitCloudTrailWrite')?.Condition).toEqual({ StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': TRAIL } });
    expect(mergeBucketPolicy(r.text, bucket).action).toBe('unchanged');
  });

  it('reads AWS:SourceArn case-insensitively: a statement naming this trail grants it', () => {
    const existing = withStatements(acl({ StringEquals: { 'AWS:SourceArn': [OTHER, TRAIL] } }), write({ StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'AWS:SourceArn': TRAIL } }));
    expect(mergeBucketPolicy(existing, bucket)).toMatchObject({ action: 'unchanged', text: existing });
  });

  it('a wildcard SourceArn that covers this trail (ArnLike, StringLike) is kept as it is', () => {
    const all = `arn:aws:cloudtrail:*:${ACCOUNT}:trail/*`;
    const existing = withStatements(acl({ ArnLike: { 'aws:SourceArn': all } }), write({ StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' }, StringLike: { 'aws:sourcearn': all } }));
    const r = mergeBucketPolicy(existing, bucket);
    expect(r.action).toBe('unchanged');
    expect(r.text).toBe(existing);
  });

  it('a wildcard that does not cover this trail is left, and setup adds its own statement', () => {
    const others = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/other-*`;
    const existing = withStatements(acl({ ArnLike: { 'aws:SourceArn': others } }));
    const r = mergeBucketPolicy(existing, bucket);
    expect(statement(r.text, 'AWSCloudTrailAclCheck20150319')?.Condition).toEqual({ ArnLike: { 'aws:SourceArn': others } });
    expect(statement(r.text, 'TrailkitCloudTrailAclCheck')?.Condition).toEqual({ StringEquals: { 'aws:SourceArn': TRAIL } });
    // ArnLike matches part by part: a * does not cross a colon, so this one does not grant either.
    const wrongAccount = withStatements(acl({ ArnLike: { 'aws:SourceArn': 'arn:aws:cloudtrail:*:trail/*' } }));
    expect(mergeBucketPolicy(wrongAccount, bucket).written.map((s) => s.Sid)).toEqual(['TrailkitCloudTrailAclCheck', 'TrailkitCloudTrailWrite']);
  });

  it('KMS: an encrypt statement for several accounts without SourceArn keeps all of them', () => {
    const context = [`arn:aws:cloudtrail:*:${ACCOUNT}:trail/*`, 'arn:aws:cloudtrail:*:444455556666:trail/*'];
    const encrypt = { Sid: 'Allow CloudTrail to encrypt logs', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'kms:GenerateDataKey*', Resource: '*', Condition: { StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': context } } };
    const r = mergeKmsKeyPolicy(withStatements(encrypt), kmsKeyPolicy({ account: ACCOUNT, trailArn: TRAIL }));
    expect(r.statements.find((s) => s.sid === 'Allow CloudTrail to encrypt logs')?.action).toBe('unchanged');
    expect(statement(r.text, 'Allow CloudTrail to encrypt logs')?.Condition).toEqual({ StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': context } });
  });

  it('KMS: the older user guide\'s decrypt statement (StringLike on the encryption context) is left as it is', () => {
    const decrypt = { Sid: 'Allow principals in the account to decrypt log files', Effect: 'Allow', Principal: { AWS: '*' }, Action: ['kms:Decrypt', 'kms:ReEncryptFrom'], Resource: '*', Condition: { StringEquals: { 'kms:CallerAccount': ACCOUNT }, StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': `arn:aws:cloudtrail:*:${ACCOUNT}:trail/*` } } };
    const r = mergeKmsKeyPolicy(withStatements(decrypt), kmsKeyPolicy({ account: ACCOUNT, trailArn: TRAIL }));
    expect(r.statements.find((s) => s.sid === 'Allow principals in the account to decrypt log files')?.action).toBe('unchanged');
  });

  it('KMS: another trail\'s AWS:SourceArn is kept and this trail added', () => {
    const encrypt = { Sid: 'Allow CloudTrail to encrypt logs', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'kms:GenerateDataKey*', Resource: '*', Condition: { StringEquals: { 'AWS:SourceArn': OTHER }, StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': `arn:aws:cloudtrail:*:${ACCOUNT}:trail/*` } } };
    const r = mergeKmsKeyPolicy(withStatements(encrypt), kmsKeyPolicy({ account: ACCOUNT, trailArn: TRAIL }));
    expect(statement(r.text, 'Allow CloudTrail to encrypt logs')?.Condition).toEqual({ StringEquals: { 'AWS:SourceArn': [OTHER, TRAIL] }, StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': `arn:aws:cloudtrail:*:${ACCOUNT}:trail/*` } });
  });

  it('SNS: ArnLike over every trail of the account is kept; a statement without a condition too', () => {
    const topic = 'arn:aws:sns:us-east-1:111122223333:t';
    const desired = snsTopicPolicy({ topicArn: topic, trailArn: TRAIL });
    const publish = (condition?: unknown) => withStatements({ Sid: 'AWSCloudTrailSNSPolicy20150319', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'SNS:Publish', Resource: topic, ...(condition === undefined ? {} : { Condition: condition }) });
    expect(mergeSnsTopicPolicy(publish({ ArnLike: { 'AWS:SourceArn': `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/*` } }), desired).action).toBe('unchanged');
    expect(mergeSnsTopicPolicy(publish(), desired).action).toBe('unchanged');
    const r = mergeSnsTopicPolicy(publish({ StringEquals: { 'aws:SourceArn': OTHER } }), desired);
    expect(statement(r.text, 'AWSCloudTrailSNSPolicy20150319')?.Condition).toEqual({ StringEquals: { 'aws:SourceArn': [OTHER, TRAIL] } });
  });

  it('trust policies: a SourceArn condition is read the same way', () => {
    const trust = (condition: unknown) => ({ Statement: [{ Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: condition }] });
    expect(trustAllowsCloudTrail(trust({ StringEquals: { 'AWS:SourceArn': TRAIL } }), TRAIL)).toBe(true);
    expect(trustAllowsCloudTrail(trust({ ArnLike: { 'aws:sourceArn': `arn:aws:cloudtrail:*:${ACCOUNT}:trail/*` } }), TRAIL)).toBe(true);
    expect(trustAllowsCloudTrail(trust({ ArnLike: { 'aws:SourceArn': `arn:aws:cloudtrail:*:${ACCOUNT}:trail/other*` } }), TRAIL)).toBe(false);
  });
});

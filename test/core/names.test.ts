import { describe, expect, it } from 'vitest';
import {
  bucketNameProblem, kmsKeyRefProblem, logGroupNameProblem, parseTags, requireValid, retentionProblem, roleNameProblem, trailNameProblem,
} from '../../src/core/names.js';

describe('trail names (SPEC section 5)', () => {
  it.each(['abc', 'My_Trail-1.prod', 'a'.repeat(128), 'org.trail9'])('accepts %s', (name) => {
    expect(trailNameProblem(name)).toBeUndefined();
  });
  it.each([
    ['ab', /3-128/],
    ['a'.repeat(129), /3-128/],
    ['my trail', /only letters/],
    ['_trail', /start and end/],
    ['trail-', /start and end/],
    ['my._trail', /adjacent/],
    ['my-.trail', /adjacent/],
    ['my..trail', /adjacent/],
    ['my-_trail', /adjacent/],
    ['192.168.5.4', /IP address/],
  ])('rejects %s', (name, rule) => {
    expect(trailNameProblem(name)).toMatch(rule);
  });
});

describe('bucket names (S3 rules)', () => {
  it.each(['my-bucket', 'logs.example.com', 'a1b'])('accepts %s', (name) => expect(bucketNameProblem(name)).toBeUndefined());
  it.each([
    ['My-Bucket', /lowercase/],
    ['ab', /3-63/],
    ['-bucket', /start and end/],
    ['my..bucket', /adjacent periods/],
    ['10.0.0.1', /IP address/],
    ['xn--bucket', /reserved prefix/],
    ['bucket-s3alias', /reserved suffix/],
    ['my_bucket', /lowercase/],
  ])('rejects %s', (name, rule) => expect(bucketNameProblem(name)).toMatch(rule));
});

describe('log group, role, key names', () => {
  it('log groups', () => {
    expect(logGroupNameProblem('aws-cloudtrail-logs-main')).toBeUndefined();
    expect(logGroupNameProblem('/org/ct#1')).toBeUndefined();
    expect(logGroupNameProblem('bad name')).toMatch(/only letters/);
    expect(logGroupNameProblem('')).toMatch(/1-512/);
    expect(logGroupNameProblem('aws/cloudtrail')).toMatch(/reserves/);
  });
  it('roles', () => {
    expect(roleNameProblem('CloudTrail_CloudWatchLogs_Role')).toBeUndefined();
    expect(roleNameProblem('a'.repeat(65))).toMatch(/1-64/);
    expect(roleNameProblem('bad/role')).toMatch(/only letters/);
  });
  it('kms key references', () => {
    expect(kmsKeyRefProblem('alias/cloudtrail')).toBeUndefined();
    expect(kmsKeyRefProblem('arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab')).toBeUndefined();
    expect(kmsKeyRefProblem('1234abcd-12ab-34cd-56ef-1234567890ab')).toBeUndefined();
    expect(kmsKeyRefProblem('alias/aws/s3')).toMatch(/customer managed/);
    expect(kmsKeyRefProblem('my key')).toMatch(/key ARN/);
  });
  it('retention values', () => {
    expect(retentionProblem(365)).toBeUndefined();
    expect(retentionProblem(2)).toMatch(/one of 1, 3, 5/);
  });
  it('requireValid throws a one-line usage error naming the value and the rule', () => {
    expect(() => requireValid('trail name', 'a', trailNameProblem)).toThrow('invalid trail name "a": must be 3-128 characters long (it has 1)');
  });
  it('tags', () => {
    expect(parseTags(['team=sec,env=prod', 'owner=a=b'])).toEqual({ team: 'sec', env: 'prod', owner: 'a=b' });
    expect(() => parseTags(['novalue'])).toThrow(/KEY=VALUE/);
    expect(() => parseTags(['aws:x=1'])).toThrow(/reserved/);
  });
});

import { describe, expect, it } from 'vitest';
import { TrailkitError } from '../../src/core/errors.js';
import { parseLogGroupRef, parseTrailRef } from '../../src/core/resource-refs.js';

describe('--log-group NAME|ARN and --trail NAME|ARN', () => {
  it('takes a log group ARN (with or without :*) and its region', () => {
    expect(parseLogGroupRef('arn:aws:logs:eu-west-1:111122223333:log-group:aws-cloudtrail-logs-1:*')).toEqual({ name: 'aws-cloudtrail-logs-1', region: 'eu-west-1', account: '111122223333' });
    expect(parseLogGroupRef('arn:aws-us-gov:logs:us-gov-west-1:111122223333:log-group:CloudTrail/Default')).toEqual({ name: 'CloudTrail/Default', region: 'us-gov-west-1', account: '111122223333' });
    expect(parseLogGroupRef('CloudTrail/DefaultLogGroup')).toEqual({ name: 'CloudTrail/DefaultLogGroup' });
  });

  it.each(['arn:aws:logs:eu-west-1:111122223333:log-group:', 'arn:aws:s3:::bucket', 'bad group', 'arn:aws:logs:eu-west-1:1111:log-group:x'])('refuses %j', (value) => {
    expect(() => parseLogGroupRef(value)).toThrow(TrailkitError);
  });

  it('takes a trail name or ARN, and refuses neither', () => {
    expect(parseTrailRef('main')).toEqual({ kind: 'name', name: 'main' });
    expect(parseTrailRef('arn:aws:cloudtrail:us-west-2:111122223333:trail/org-trail')).toMatchObject({ kind: 'arn', parsed: { region: 'us-west-2', name: 'org-trail' } });
    for (const bad of ['ab', 'my--trail', '-x-', 'arn:aws:cloudtrail:us-west-2:111122223333:eventdatastore/x', 'a b c']) expect(() => parseTrailRef(bad), bad).toThrow(TrailkitError);
  });
});

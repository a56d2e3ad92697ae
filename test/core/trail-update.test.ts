import { describe, expect, it } from 'vitest';
import { describeChanges, trailChanges } from '../../src/core/trail-update.js';

const TRAIL = {
  name: 'main',
  arn: 'arn:aws:cloudtrail:us-east-1:111122223333:trail/main',
  s3BucketName: 'ct-logs',
  snsTopicName: 'arn:aws:sns:us-east-1:111122223333:ct-deliveries',
  includeGlobalServiceEvents: true,
  isMultiRegionTrail: true,
  logFileValidationEnabled: true,
  cloudWatchLogsLogGroupArn: 'arn:aws:logs:us-east-1:111122223333:log-group:ct:*',
  cloudWatchLogsRoleArn: 'arn:aws:iam::111122223333:role/ct',
  kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
};

describe('what update-trail would change', () => {
  it('nothing when every setting given is the current one, in any of its spellings', () => {
    expect(trailChanges(TRAIL, {
      S3BucketName: 'ct-logs',
      S3KeyPrefix: '',
      SnsTopicName: 'ct-deliveries',
      IsMultiRegionTrail: true,
      EnableLogFileValidation: true,
      IsOrganizationTrail: false,
      CloudWatchLogsLogGroupArn: 'arn:aws:logs:us-east-1:111122223333:log-group:ct',
      CloudWatchLogsRoleArn: 'arn:aws:iam::111122223333:role/ct',
      KmsKeyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
    })).toEqual([]);
    expect(trailChanges(TRAIL, { KmsKeyId: 'alias/ct' }, TRAIL.kmsKeyId)).toEqual([]);
  });

  it('each setting that differs, with its old and new value', () => {
    const changes = trailChanges(TRAIL, { IsMultiRegionTrail: false, IncludeGlobalServiceEvents: true, S3KeyPrefix: 'logs', KmsKeyId: 'alias/other' });
    expect(changes).toEqual([
      { setting: 'S3KeyPrefix', from: undefined, to: 'logs' },
      { setting: 'IsMultiRegionTrail', from: true, to: false },
      { setting: 'KmsKeyId', from: TRAIL.kmsKeyId, to: 'alias/other' },
    ]);
    expect(describeChanges(changes)).toBe(`S3KeyPrefix (none) -> logs, IsMultiRegionTrail true -> false, KmsKeyId ${TRAIL.kmsKeyId} -> alias/other`);
  });
});

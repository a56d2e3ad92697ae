import { describe, expect, it } from 'vitest';
import {
  checkAdvancedSelectors, checkBasicSelectors, parseInsightTypes, recordsWriteManagementEvents, selectorsFromFlags,
} from '../../src/core/event-selectors.js';

const mgmt = (extra: object[] = []) => ({ Name: 'm', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }, ...extra] });
const data = (type: string, extra: object[] = []) => ({ Name: 'd', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }, { Field: 'resources.type', Equals: [type] }, ...extra] });

describe('basic selectors: each rule', () => {
  const ok = { ReadWriteType: 'All', IncludeManagementEvents: true };
  it.each([
    ['more than 5 selectors', Array(6).fill(ok), /6 selectors, at most 5/],
    ['ReadWriteType', [{ ReadWriteType: 'Both' }], /event selector 1, ReadWriteType: "Both" must be ReadOnly, WriteOnly or All/],
    ['IncludeManagementEvents type', [{ IncludeManagementEvents: 'yes' }], /IncludeManagementEvents: must be true or false/],
    ['excluded sources', [{ ExcludeManagementEventSources: ['s3.amazonaws.com'] }], /"s3.amazonaws.com" cannot be excluded/],
    ['data resource type', [ok, { DataResources: [{ Type: 'AWS::SNS::Topic', Values: ['arn:aws:sns'] }] }], /event selector 2, DataResources\[1\], Type: "AWS::SNS::Topic" is not a basic data resource type/],
    ['data values are ARNs', [{ DataResources: [{ Type: 'AWS::S3::Object', Values: ['my-bucket/'] }] }], /must be an ARN/],
    ['more than 250 data resources', [{ DataResources: [{ Type: 'AWS::S3::Object', Values: Array.from({ length: 251 }, (_, i) => `arn:aws:s3:::b${i}/`) }] }], /251 data resources in total, at most 250/],
    ['unknown key', [{ ReadWriteType: 'All', Typo: 1 }], /unknown key "Typo"/],
    ['not a list', { ReadWriteType: 'All' }, /must be a JSON list/],
  ])('%s', (_rule, input, message) => {
    const { errors } = checkBasicSelectors(input);
    expect(errors.join('\n')).toMatch(message);
  });
  it('accepts the documented forms', () => {
    expect(checkBasicSelectors([{ ReadWriteType: 'All', IncludeManagementEvents: true, ExcludeManagementEventSources: ['kms.amazonaws.com'], DataResources: [{ Type: 'AWS::S3::Object', Values: ['arn:aws:s3:::b/'] }, { Type: 'AWS::Lambda::Function', Values: ['arn:aws:lambda'] }] }]).errors).toEqual([]);
  });
});

describe('advanced selectors: each rule', () => {
  it.each([
    ['empty list', [], /the list is empty/],
    ['Name length', [{ ...mgmt(), Name: 'n'.repeat(1001) }], /Name: must be a string of at most 1000/],
    ['at least one field selector', [{ Name: 'x', FieldSelectors: [] }], /advanced event selector 1 \("x"\), FieldSelectors: at least one/],
    ['Field pattern', [mgmt([{ Field: 'bad field!', Equals: ['x'] }])], /Field must match/],
    ['unknown operator', [mgmt([{ Field: 'readOnly', Contains: ['true'] }])], /unknown operator "Contains"/],
    ['operator needed', [mgmt([{ Field: 'readOnly' }])], /field "readOnly": needs at least one operator/],
    ['value length', [data('AWS::S3::Object', [{ Field: 'eventName', Equals: ['x'.repeat(2049)] }])], /each value must be a string of 1-2048/],
    ['empty value', [data('AWS::S3::Object', [{ Field: 'eventName', Equals: [''] }])], /1-2048/],
    ['eventCategory required', [{ Name: 'x', FieldSelectors: [{ Field: 'readOnly', Equals: ['true'] }] }], /the field eventCategory is required/],
    ['eventCategory Equals only', [{ Name: 'x', FieldSelectors: [{ Field: 'eventCategory', NotEquals: ['Data'] }] }], /"eventCategory": only Equals/],
    ['eventCategory value', [{ Name: 'x', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Insight'] }] }], /"Insight" must be one of Management, Data, NetworkActivity/],
    ['management fields', [mgmt([{ Field: 'eventName', Equals: ['x'] }])], /field "eventName": not allowed in Management selectors/],
    ['management eventSource NotEquals kms/rdsdata only', [mgmt([{ Field: 'eventSource', NotEquals: ['s3.amazonaws.com'] }])], /allow only NotEquals kms.amazonaws.com or rdsdata.amazonaws.com/],
    ['management eventSource no Equals', [mgmt([{ Field: 'eventSource', Equals: ['kms.amazonaws.com'] }])], /allow only NotEquals/],
    ['readOnly Equals only', [mgmt([{ Field: 'readOnly', NotEquals: ['true'] }])], /"readOnly": only Equals/],
    ['readOnly values', [mgmt([{ Field: 'readOnly', Equals: ['yes'] }])], /"readOnly": Equals takes one value, "true" or "false"/],
    ['resources.type required for data', [{ Name: 'x', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }] }], /data selectors need the field resources.type/],
    ['resources.type Equals only', [{ Name: 'x', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }, { Field: 'resources.type', StartsWith: ['AWS::S3'] }] }], /"resources.type": only Equals/],
    ['one resources.type per selector', [{ Name: 'x', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }, { Field: 'resources.type', Equals: ['AWS::S3::Object', 'AWS::Lambda::Function'] }] }], /exactly one value/],
    ['malformed resources.type', [data('S3Object')], /"S3Object" is not a resource type/],
    ['data field not allowed', [data('AWS::S3::Object', [{ Field: 'errorCode', Equals: ['x'] }])], /"errorCode": not allowed in Data selectors/],
    ['eventType Equals/NotEquals only', [data('AWS::S3::Object', [{ Field: 'eventType', StartsWith: ['Aws'] }])], /"eventType": only Equals and NotEquals/],
    ['sessionCredentialFromConsole Equals/NotEquals only', [data('AWS::S3::Object', [{ Field: 'sessionCredentialFromConsole', EndsWith: ['e'] }])], /only Equals and NotEquals/],
    ['S3 exact ARN', [data('AWS::S3::Object', [{ Field: 'resources.ARN', Equals: ['arn:aws:s3:::bucket'] }])], /"arn:aws:s3:::bucket" is not an exact AWS::S3::Object ARN/],
    ['Lambda exact ARN', [data('AWS::Lambda::Function', [{ Field: 'resources.ARN', NotEquals: ['arn:aws:lambda:us-east-1:111122223333:fn'] }])], /NotEquals: .* is not an exact AWS::Lambda::Function ARN/],
    ['DynamoDB exact ARN', [data('AWS::DynamoDB::Table', [{ Field: 'resources.ARN', Equals: ['arn:aws:dynamodb:us-east-1:111122223333:orders'] }])], /not an exact AWS::DynamoDB::Table ARN/],
    ['duplicate field', [mgmt([{ Field: 'readOnly', Equals: ['true'] }, { Field: 'readOnly', Equals: ['false'] }])], /appears twice/],
    ['network activity needs eventSource', [{ Name: 'n', FieldSelectors: [{ Field: 'eventCategory', Equals: ['NetworkActivity'] }] }], /network activity selectors need eventSource/],
    ['more than 500 values', [data('AWS::S3::Object', [{ Field: 'resources.ARN', StartsWith: Array.from({ length: 500 }, (_, i) => `arn:aws:s3:::b${i}/`) }])], /502 values across all selectors, at most 500/],
  ])('%s', (_rule, input, message) => {
    const { errors } = checkAdvancedSelectors(input);
    expect(errors.join('\n')).toMatch(message);
  });

  it('accepts valid selectors, StartsWith prefixes and exact ARNs', () => {
    const input = [
      mgmt([{ Field: 'readOnly', Equals: ['false'] }, { Field: 'eventSource', NotEquals: ['kms.amazonaws.com', 'rdsdata.amazonaws.com'] }]),
      data('AWS::S3::Object', [{ Field: 'resources.ARN', StartsWith: ['arn:aws:s3:::b/'] }, { Field: 'resources.ARN2', Equals: ['x'] }].slice(0, 1)),
      data('AWS::Lambda::Function', [{ Field: 'resources.ARN', Equals: ['arn:aws:lambda:us-east-1:111122223333:function:fn'] }, { Field: 'eventName', NotStartsWith: ['Get'] }]),
      data('AWS::DynamoDB::Table', [{ Field: 'resources.ARN', Equals: ['arn:aws:dynamodb:us-east-1:111122223333:table/orders'] }, { Field: 'readOnly', Equals: ['true'] }]),
      { Name: 'vpce', FieldSelectors: [{ Field: 'eventCategory', Equals: ['NetworkActivity'] }, { Field: 'eventSource', Equals: ['kms.amazonaws.com'] }, { Field: 'errorCode', Equals: ['VpceAccessDenied'] }] },
    ];
    expect(checkAdvancedSelectors(input)).toEqual({ errors: [], warnings: [] });
  });

  it('warns, not fails, on an AWS::X::Y type it does not know', () => {
    const r = checkAdvancedSelectors([data('AWS::NewService::Thing')]);
    expect(r.errors).toEqual([]);
    expect(r.warnings[0]).toMatch(/AWS::NewService::Thing is not a type trailkit knows/);
  });
});

describe('convenience flags to selectors', () => {
  it('management events with exclusions', () => {
    expect(selectorsFromFlags({ managementEvents: 'write', excludeKmsEvents: true, excludeRdsDataApiEvents: true })).toEqual([
      { Name: 'Management events (write only)', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }, { Field: 'readOnly', Equals: ['false'] }, { Field: 'eventSource', NotEquals: ['kms.amazonaws.com', 'rdsdata.amazonaws.com'] }] },
    ]);
  });
  it('data events default to keeping all management events', () => {
    const s = selectorsFromFlags({ s3DataEvents: ['logs', 'data/uploads/'], lambdaDataEvents: ['all'], dynamodbDataEvents: ['arn:aws:dynamodb:us-east-1:111122223333:table/t'] }, 'aws-cn');
    expect(s).toEqual([
      { Name: 'Management events', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] },
      { Name: 'S3 data events', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }, { Field: 'resources.type', Equals: ['AWS::S3::Object'] }, { Field: 'resources.ARN', StartsWith: ['arn:aws-cn:s3:::logs/', 'arn:aws-cn:s3:::data/uploads/'] }] },
      { Name: 'Lambda data events', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }, { Field: 'resources.type', Equals: ['AWS::Lambda::Function'] }] },
      { Name: 'DynamoDB data events', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }, { Field: 'resources.type', Equals: ['AWS::DynamoDB::Table'] }, { Field: 'resources.ARN', Equals: ['arn:aws:dynamodb:us-east-1:111122223333:table/t'] }] },
    ]);
    expect(checkAdvancedSelectors(s).errors).toEqual([]);
  });
  it('none leaves management events out', () => {
    expect(selectorsFromFlags({ managementEvents: 'none', s3DataEvents: ['all'] }).map((s) => s.Name)).toEqual(['S3 data events']);
  });
  it('insights', () => {
    expect(parseInsightTypes(['api-call-rate,api-error-rate', 'ApiCallRateInsight'])).toEqual(['ApiCallRateInsight', 'ApiErrorRateInsight']);
    expect(parseInsightTypes(['none'])).toEqual([]);
    expect(() => parseInsightTypes(['api-rate'])).toThrow(/unknown insight type "api-rate"/);
    expect(recordsWriteManagementEvents({ advanced: selectorsFromFlags({ managementEvents: 'read' }) })).toBe(false);
    expect(recordsWriteManagementEvents({ advanced: selectorsFromFlags({ managementEvents: 'write' }) })).toBe(true);
    expect(recordsWriteManagementEvents({ basic: [{ ReadWriteType: 'ReadOnly', IncludeManagementEvents: true }] })).toBe(false);
    expect(recordsWriteManagementEvents({})).toBe(true);
  });
});

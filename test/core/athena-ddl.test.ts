import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cloudTrailTableDdl, ddlProblems, parquetTableDdl } from '../../src/core/athena-ddl.js';

const AWS_DDL = readFileSync(new URL('../fixtures/athena/aws-cloudtrail-partition-projection.sql', import.meta.url), 'utf8');

/** A CREATE TABLE reduced to what Athena reads from it: spacing, case of types and comments do not matter. */
function normalize(ddl: string) {
  const text = ddl.replace(/^--.*$/gm, '');
  const body = /\(([\s\S]*)\)\s*PARTITIONED BY/i.exec(text)?.[1] ?? '';
  const columns: Record<string, string> = {};
  let depth = 0;
  let current = '';
  for (const c of body) {
    if (c === '<') depth++;
    if (c === '>') depth--;
    if (c === ',' && depth === 0) {
      const [name, ...type] = current.trim().split(/\s+/);
      columns[(name as string).toLowerCase()] = type.join('').toLowerCase();
      current = '';
    } else current += c;
  }
  if (current.trim() !== '') {
    const [name, ...type] = current.trim().split(/\s+/);
    columns[(name as string).toLowerCase()] = type.join('').toLowerCase();
  }
  const props = Object.fromEntries([...text.matchAll(/'([^']+)'\s*=\s*'([^']*)'/g)].map((m) => [m[1], m[2]]));
  return {
    columns,
    partitions: /PARTITIONED BY\s*\(([^)]*)\)/i.exec(text)?.[1]?.replace(/\s+/g, ' ').trim(),
    serde: /ROW FORMAT SERDE\s+'([^']+)'/i.exec(text)?.[1],
    input: /INPUTFORMAT\s+'([^']+)'/i.exec(text)?.[1],
    output: /OUTPUTFORMAT\s+'([^']+)'/i.exec(text)?.[1],
    location: /LOCATION\s+'([^']+)'/i.exec(text)?.[1],
    props,
  };
}

describe('athena ddl', () => {
  it("is AWS's documented CloudTrail table with partition projection, column for column", () => {
    const ours = cloudTrailTableDdl({ table: 'cloudtrail_logs_pp', bucket: 'amzn-s3-demo-bucket', layout: { kind: 'single', account: 'account-id', region: 'aws-region' }, rangeStart: '2020/01/01' });
    const a = normalize(AWS_DDL);
    const b = normalize(ours);
    expect(Object.keys(a.columns)).toHaveLength(29);
    expect(b.columns).toEqual(a.columns);
    expect(Object.keys(b.columns)).toEqual(Object.keys(a.columns));
    expect(b).toEqual(a);
    expect(ddlProblems(AWS_DDL)).toEqual([]);
    expect(ddlProblems(ours)).toEqual([]);
  });

  it('puts the prefix and database where the trail writes and Athena reads', () => {
    const ddl = cloudTrailTableDdl({ database: 'security', table: 't', bucket: 'b', prefix: '/trails/main/', layout: { kind: 'single', account: '111111111111', region: 'eu-west-1' }, rangeStart: '2024/06/01' });
    expect(ddl).toContain('CREATE EXTERNAL TABLE security.t(');
    expect(normalize(ddl).location).toBe('s3://b/trails/main/AWSLogs/111111111111/CloudTrail/eu-west-1/');
    expect(normalize(ddl).props['projection.timestamp.range']).toBe('2024/06/01,NOW');
  });

  it('projects an organization trail: injected or enum accounts, an enum of regions without spaces, a date', () => {
    const injected = normalize(cloudTrailTableDdl({ table: 'org', bucket: 'b', layout: { kind: 'organization', orgId: 'o-a1b2c3d4e5', regions: ['us-east-1', 'eu-west-1'] }, rangeStart: '2020/01/01' }));
    expect(injected.location).toBe('s3://b/AWSLogs/o-a1b2c3d4e5/');
    expect(injected.partitions).toBe('`account` string, `region` string, `timestamp` string');
    expect(injected.props).toMatchObject({
      'projection.account.type': 'injected',
      'projection.region.type': 'enum',
      'projection.region.values': 'us-east-1,eu-west-1',
      'storage.location.template': 's3://b/AWSLogs/o-a1b2c3d4e5/${account}/CloudTrail/${region}/${timestamp}',
    });
    const listed = normalize(cloudTrailTableDdl({ table: 'org', bucket: 'b', layout: { kind: 'organization', orgId: 'o-a1b2c3d4e5', accounts: ['111111111111', '222222222222'], regions: ['us-east-1'] }, rangeStart: '2020/01/01' }));
    expect(listed.props).toMatchObject({ 'projection.account.type': 'enum', 'projection.account.values': '111111111111,222222222222' });
  });

  it('defines the Parquet index table and a view with every column of the DDL', () => {
    const [table, view] = parquetTableDdl({ table: 'trailkit_index', bucket: 'idx', prefix: 'trail-index', layout: { kind: 'parquet', regions: ['us-east-1'] }, rangeStart: '2020/01/01' });
    expect(ddlProblems(table as string)).toEqual([]);
    expect(normalize(table as string).location).toBe('s3://idx/trail-index/data/');
    expect(normalize(table as string).props['storage.location.template']).toBe('s3://idx/trail-index/data/account=${account}/region=${region}/date=${date}');
    expect(normalize(table as string).props['projection.date.range']).toBe('2020-01-01,NOW');
    expect(table).toContain('STORED AS PARQUET');
    for (const column of Object.keys(normalize(AWS_DDL).columns)) expect(view).toMatch(new RegExp(`\\b${column}\\b`));
    expect(view).toContain("json_format(json_extract(raw, '$.requestParameters')) AS requestparameters");
  });

  it('finds the mistakes that make Athena return no rows without an error', () => {
    const good = cloudTrailTableDdl({ table: 'org', bucket: 'b', layout: { kind: 'organization', orgId: 'o-a1b2c3d4e5', regions: ['us-east-1', 'eu-west-1'] }, rangeStart: '2020/01/01' });
    expect(ddlProblems(good)).toEqual([]);
    expect(ddlProblems(good.replace("'us-east-1,eu-west-1'", "'us-east-1, eu-west-1'")).join()).toMatch(/white space/);
    expect(ddlProblems(good.replace("'s3://b/AWSLogs/o-a1b2c3d4e5/'\n", "'s3://b/AWSLogs/o-a1b2c3d4e5'\n")).join()).toMatch(/must end with '\/'/);
    expect(ddlProblems(good.replace('${region}/${timestamp}', '${timestamp}')).join()).toMatch(/no \$\{region\}/);
    expect(ddlProblems(good.replace("'2020/01/01,NOW'", "'2020-01-01,NOW'")).join()).toMatch(/range/);
    expect(ddlProblems(good.replace("'projection.enabled'='true'", "'projection.enabled'='false'")).join()).toMatch(/projection.enabled/);
  });
});

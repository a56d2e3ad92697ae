import { describe, expect, it } from 'vitest';
import { evaluateAccountChecks, managementCoverage, type AccountEvidence, type RegionTrail } from '../../src/core/account-coverage.js';

const MULTI: RegionTrail = { arn: 'arn:aws:cloudtrail:us-east-1:111111111111:trail/org', name: 'org', homeRegion: 'us-east-1', isMultiRegionTrail: true };
const LOCAL: RegionTrail = { arn: 'arn:aws:cloudtrail:eu-west-1:111111111111:trail/local', name: 'local', homeRegion: 'eu-west-1', isMultiRegionTrail: false };
const ok = <T>(value: T) => ({ ok: true as const, value });
const healthy = ok({ isLogging: true, managementRead: true, managementWrite: true });

function evidence(change: Partial<AccountEvidence> = {}): AccountEvidence {
  return {
    accountId: '111111111111',
    regions: { 'us-east-1': ok([MULTI]), 'eu-west-1': ok([MULTI, LOCAL]), 'ap-east-1': ok(undefined) },
    trails: { [MULTI.arn]: healthy, [LOCAL.arn]: healthy },
    ...change,
  };
}

describe('verify --account: account-regions-covered', () => {
  it('passes when every enabled region has a logging multi-region trail, naming it; a region not enabled is left out', () => {
    const [r] = evaluateAccountChecks(evidence());
    expect(r).toMatchObject({ id: 'account-regions-covered', status: 'pass', message: `all 2 enabled regions are covered by ${MULTI.arn}` });
  });

  it.each([
    ['the multi-region trail stopped logging', { trails: { [MULTI.arn]: ok({ isLogging: false, managementRead: true, managementWrite: true }) } }, /2 of 2 enabled regions .*: eu-west-1, us-east-1/],
    ['it records write events only', { trails: { [MULTI.arn]: ok({ isLogging: true, managementRead: false, managementWrite: true }) } }, /2 of 2/],
    ['only a single-region trail in one region', { regions: { 'us-east-1': ok([]), 'eu-west-1': ok([LOCAL]) } }, /2 of 2 .*: eu-west-1, us-east-1/],
  ])('fails when %s', (_name, change, message) => {
    const [r] = evaluateAccountChecks(evidence(change as Partial<AccountEvidence>));
    expect(r?.status).toBe('fail');
    expect(r?.message).toMatch(message);
    expect(JSON.stringify(r?.evidence)).toContain('single-region');
  });

  it('warns when some regions cannot be read, and skips when none can', () => {
    const denied = { ok: false as const, denied: 'cloudtrail:DescribeTrails', error: 'AccessDenied' };
    expect(evaluateAccountChecks(evidence({ regions: { 'us-east-1': ok([MULTI]), 'eu-west-1': denied } }))[0]).toMatchObject({ status: 'warn', message: expect.stringMatching(/1 regions could not be read: eu-west-1/) });
    expect(evaluateAccountChecks(evidence({ regions: { 'us-east-1': denied } }))[0]?.status).toBe('skip');
  });

  it('reads management events from basic and advanced selectors', () => {
    expect(managementCoverage({ basic: [], advanced: [] }, false)).toEqual({ read: true, write: true });
    expect(managementCoverage({ basic: [{ ReadWriteType: 'WriteOnly', IncludeManagementEvents: true }], advanced: [] }, true)).toEqual({ read: false, write: true });
    expect(managementCoverage({ basic: [], advanced: [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] }] }, true)).toEqual({ read: true, write: true });
  });
});

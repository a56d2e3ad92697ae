/** The documents `trailkit policy KIND` prints (and policyDocument builds). */
export const POLICY_KINDS = ['bucket', 'kms', 'sns', 'cloudwatch-role', 'assume-role', 'reader'] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

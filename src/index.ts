/**
 * trailkit as a library: every job the CLI does, with typed inputs and results. Jobs never print:
 * warnings, notices and progress go through callbacks (JobOptions), a job is stopped with an
 * AbortSignal, and expected failures are TrailkitError (code, message, hint).
 *
 *   import { validateDigests, searchEvents, verifyTrail } from 'trailkit';
 *
 * Jobs that read only local files (searching files and folders, validating a downloaded folder
 * with key files, the policy builders and filter patterns) load no AWS SDK module.
 */

// Errors and the options every job takes.
export { TrailkitError, EXIT_OK, EXIT_NEGATIVE, EXIT_ERROR } from './core/errors.js';
export type { AwsSettings, JobOptions } from './jobs/job-options.js';

// Search, tail and follow events: files, folders, stdin, a trail's bucket, a log group, LookupEvents.
export { searchEvents, searchEventBatches, tailEvents, tailEventBatches, followEvents, SEARCH_WINDOW_MS, TAIL_WINDOW_MS } from './jobs/search.js';
export type { EventSource, SearchRequest, TailRequest, SearchBatch, TrailEvent } from './jobs/search.js';
export type { FilterSpec } from './core/record-filter.js';
export { compileFilter } from './core/record-filter.js';
export type { CloudTrailRecord } from './core/record.js';

// Download a trail's objects into a folder.
export { downloadTrail } from './jobs/download.js';
export type { DownloadRequest, DownloadOptions, DownloadSummary, DownloadObjectOutcome, TrailBucketScope } from './jobs/download.js';

// Log file integrity: the report object, and aws-cli's text as one renderer of it.
export { validateDigests, digestValidationRequest } from './jobs/validate-digests.js';
export type { ValidateDigestsInput, DigestValidationRequest, DigestValidationReport, DigestSource } from './jobs/validate-digests.js';
export type { LocationReport, Tally } from './core/digest-validation.js';
export { renderDigestText, digestJson } from './output/digest-report.js';

// Verify a trail (or the account): check results.
export { verifyTrail, verifyAccount } from './jobs/verify.js';
export type { VerifyTrailInput, VerifyAccountInput, VerifyReport } from './jobs/verify.js';
export type { CheckResult, CheckStatus, CheckSummary } from './core/verify-checks.js';
export { CHECK_IDS } from './core/verify-checks.js';

// Plan and apply a trail's setup: the plan as data, a callback per step.
export { setupTrail, planTrailSetup } from './jobs/setup.js';
export type { SetupRequest, SetupOptions, SetupOutcome, SetupStepResult } from './jobs/setup.js';
export type { SetupInput } from './core/setup-config.js';
export type { SetupPlan, SetupStep } from './core/setup-plan.js';

// The policy documents CloudTrail needs, and merging them into existing ones by meaning.
export {
  bucketPolicy, kmsKeyPolicy, snsTopicPolicy, cloudWatchRolePolicy, assumeRolePolicy, readerPolicy, formatPolicy,
  mergeBucketPolicy, mergeKmsKeyPolicy, mergeSnsTopicPolicy, mergeTrustPolicy, partitionOf,
} from './core/policies.js';
export type { PolicyDocument, PolicyStatement } from './core/policies.js';
export { policyDocument } from './jobs/policy.js';
export type { PolicyInput } from './jobs/policy.js';
export { POLICY_KINDS, type PolicyKind } from './core/policy-kinds.js';

// The AWS CLI's trail workflow, one function per subcommand trailkit mirrors.
export { createLogGroup, createRole, putRolePolicy, updateTrail, putEventSelectors, putInsightSelectors } from './jobs/trail-workflow.js';
export type { CreateLogGroupInput, CreateRoleInput, PutRolePolicyInput, UpdateTrailInput, EventSelectorsInput } from './jobs/trail-workflow.js';

// CloudWatch Logs filter patterns: parse, print, match.
export { parseFilterPattern, formatFilterPattern, matchesPattern, PatternSyntaxError } from './core/filter-pattern.js';
export type { FilterPattern } from './core/filter-pattern.js';

// A Parquet index of events (DuckDB), and questions to it: SQL, the named investigations, and
// grep's filters through searchEvents({ source: { kind: 'index', dir } }). DuckDB is loaded only
// when an index is built or opened.
export { buildIndex } from './jobs/index-events.js';
export type { IndexRequest, IndexEventSource, IndexValidation, IndexOptions, IndexSummary, IndexSourceOutcome } from './jobs/index-events.js';
export { openEventIndex, questionQueries } from './jobs/query.js';
export type { EventIndex, EventIndexLocation, EventIndexOptions, IndexQuestion, QuestionRequest, QueryResult, RunOptions } from './jobs/query.js';
export type { SourceVerdict, VerdictCounts } from './core/index-manifest.js';
export type { QuestionQuery } from './core/query-model.js';
export { splitStatements } from './core/sql-statements.js';
export type { SqlStatement } from './core/sql-statements.js';

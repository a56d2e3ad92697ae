import { Command, Option } from 'commander';
import { TEXT_OR_JSON } from './output-formats.js';
import { runCommand } from './run-command.js';
import { addSelectorOptions } from './selector-options.js';

const EXAMPLES = `
Examples:
  $ trailkit setup --trail-name main --bucket acme-cloudtrail-logs --dry-run
  $ trailkit setup --trail-name main --bucket acme-cloudtrail-logs --yes
  $ trailkit setup --trail-name main --bucket acme-ct --create-kms-key --sns-topic ct-deliveries --insights api-call-rate,api-error-rate
  $ trailkit setup --config trailkit.yaml --yes --output json
  $ trailkit setup --trail-name main --bucket acme-ct --s3-data-events all --exclude-kms-events --retention-in-days 365 --tag team=sec

It reads what exists, prints a plan (create / update / unchanged for the bucket, public access block,
bucket policy, KMS key and policy, SNS topic and policy, log group, role, role policy, trail, event
selectors, Insights, tags, logging), asks before applying on a terminal (--yes to skip; without a
terminal --yes is required), then applies it step by step. Running it again changes nothing; after a
failure it finishes the rest. An existing bucket policy is merged by meaning: statements setup did
not write are never changed, whatever their Sid, and setup adds its own (shown in the plan) only
for what nothing grants CloudTrail yet; key, topic and role policies are merged by Sid. An existing
trail's settings that were not asked for stay. Defaults for a new trail, as the console's: all
regions, log file validation on, SSE-KMS with a new key (--sse-s3 for SSE-S3 only), CloudWatch Logs
group aws-cloudtrail-logs-TRAIL encrypted with that key, role CloudTrail_CloudWatchLogs_Role; Block
Public Access on the bucket, also an existing one (--no-block-public-access).
--cis-alarms: the CIS 4.1-4.15 metric filters and alarms, notifying --alarm-topic, or a topic setup
creates (subscribe someone, or give --alarm-email).

--config reads the same settings from JSON or YAML (keys: the long flag names, e.g. trail-name,
bucket, s3-data-events, tags as a mapping); flags override the file.
Exit status: 0 done (or nothing to do, or --dry-run), 2 on invalid input, refusal or an AWS error.`;

export function makeSetupCommand(): Command {
  const command = new Command('setup')
    .description('plan and apply a whole trail: bucket, policies, KMS, SNS, CloudWatch Logs, selectors, Insights, logging')
    .addOption(new Option('--trail-name <name>', 'the trail'))
    .addOption(new Option('--bucket <name>', 'S3 bucket for the logs (created when absent)'))
    .addOption(new Option('--prefix <prefix>', 'S3 key prefix'))
    .addOption(new Option('--single-region', 'record this region only (default for a new trail: all regions)'))
    .addOption(new Option('--no-log-file-validation', 'no digest files (default for a new trail: on)'))
    .addOption(new Option('--kms-key <key>', 'encrypt with this KMS key (ARN or alias); its policy is merged'))
    .addOption(new Option('--create-kms-key', 'create a key (alias/trailkit/TRAIL) with the CloudTrail key policy (the default for a new trail)'))
    .addOption(new Option('--sse-s3', 'a new trail without a KMS key: SSE-S3 encryption only'))
    .addOption(new Option('--no-block-public-access', "leave an existing bucket's Block Public Access settings as they are"))
    .addOption(new Option('--no-deny-insecure-transport', 'no bucket policy statement denying requests without TLS'))
    .addOption(new Option('--sns-topic <name>', 'notify this SNS topic of deliveries (created when absent)'))
    .addOption(new Option('--log-group <name>', 'CloudWatch Logs group (default aws-cloudtrail-logs-TRAIL)'))
    .addOption(new Option('--no-cloudwatch', 'do not set up CloudWatch Logs'))
    .addOption(new Option('--role-name <name>', 'role CloudTrail assumes for CloudWatch Logs (default CloudTrail_CloudWatchLogs_Role)'))
    .addOption(new Option('--retention-in-days <days>', 'log group retention'))
    .addOption(new Option('--organization [org-id]', 'an organization trail; the id (o-...) is read from AWS Organizations when not given'));
  return addSelectorOptions(command)
    .addOption(new Option('--insights <types>', 'api-call-rate, api-error-rate (comma-separated) or none'))
    .addOption(new Option('--tag <k=v>', 'tag for the trail and created resources; repeatable').argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]))
    .addOption(new Option('--config <file>', 'settings from trailkit.json or trailkit.yaml; flags override'))
    .addOption(new Option('--dry-run', 'print the plan and change nothing'))
    .addOption(new Option('--yes', 'apply without asking'))
    .addOption(new Option('--iam-retry-seconds <seconds>', 'how long to retry while a new role propagates').default('90'))
    .addOption(new Option('--cis-alarms', 'also create the CIS 4.1-4.15 metric filters on the log group and an alarm on each metric'))
    .addOption(new Option('--alarm-topic <arn>', 'SNS topic ARN the CIS alarms notify (default: a topic trailkit-cis-alarms-TRAIL that setup creates)'))
    .addOption(new Option('--alarm-email <address>', 'subscribe this address to the alarm topic (it must confirm the email)'))
    .addHelpText('after', EXAMPLES)
    .action(async (_flags: Record<string, unknown>, cmd: Command) => {
      await runCommand(cmd, async (ctx) => (await import('./setup-run.js')).runSetup(ctx, cmd), { outputs: TEXT_OR_JSON });
    });
}

/** `trailkit policy KIND`: flags -> policyDocument (src/jobs/policy.ts) -> the JSON document. Offline. */
import { Command, Option } from 'commander';
import { POLICY_KINDS } from '../../core/policy-kinds.js';
import type { PolicyInput } from '../../jobs/policy.js';
import { POLICY_OUTPUTS } from '../output-formats.js';
import { runCommand } from '../run-command.js';

/** The flags are the library's PolicyInput, by the same names. */
export type PolicyFlags = PolicyInput & { denyInsecureTransport: boolean };


const EXAMPLES = `
Kinds and their inputs:
  bucket           --bucket, --trail-arn (or --trail-name --account-id --region), [--prefix] [--organization-id] [--no-deny-insecure-transport]
  kms              --trail-arn (or --trail-name --account-id --region)
  sns              --trail-arn, --topic-arn (or --topic-name)
  cloudwatch-role  --log-group-name, --account-id, --region, [--organization-id]
  assume-role      [--trail-arn]
  reader           --bucket, [--organization] [--kms-key-arn]

Examples:
  $ trailkit policy bucket --bucket my-trail-logs --trail-arn arn:aws:cloudtrail:us-east-1:111122223333:trail/main
  $ trailkit policy cloudwatch-role --log-group-name aws-cloudtrail-logs-main --account-id 111122223333 --region us-east-1
  $ trailkit policy assume-role --trail-arn arn:aws:cloudtrail:us-east-1:111122223333:trail/main > trust.json
  $ trailkit policy reader --bucket my-trail-logs --kms-key-arn arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab

Prints the JSON document the CloudTrail user guide gives, offline: no AWS call, no credentials needed.
Exit status: 0, or 2 on a missing or invalid input.`;

export function makePolicyCommand(): Command {
  return new Command('policy')
    .description('print a policy document a trail needs (offline): bucket, kms, sns, cloudwatch-role, assume-role, reader')
    .argument('<kind>', POLICY_KINDS.join('|'))
    .addOption(new Option('--bucket <name>', 'the trail\'s S3 bucket'))
    .addOption(new Option('--prefix <prefix>', 'S3 key prefix of the trail'))
    .addOption(new Option('--account-id <id>', 'the account that owns the trail'))
    .addOption(new Option('--trail-arn <arn>', 'the trail\'s ARN (aws:SourceArn)'))
    .addOption(new Option('--trail-name <name>', 'the trail\'s name, with --account-id and --region instead of --trail-arn'))
    .addOption(new Option('--region <region>', 'the trail\'s region (for ARNs in the document; nothing is called)'))
    .addOption(new Option('--organization-id <id>', 'organization trail: the organization id (o-...)'))
    .addOption(new Option('--organization', 'reader: also organizations:DescribeOrganization'))
    .addOption(new Option('--log-group-name <name>', 'the CloudWatch Logs group'))
    .addOption(new Option('--topic-arn <arn>', 'the SNS topic'))
    .addOption(new Option('--topic-name <name>', 'the SNS topic name, with --account-id and --region'))
    .addOption(new Option('--kms-key-arn <arn>', 'reader: the key the logs are encrypted with'))
    .addOption(new Option('--no-deny-insecure-transport', 'bucket: leave out the statement denying non-TLS requests'))
    .addHelpText('after', EXAMPLES)
    .action(async (kind: string, flags: PolicyFlags, cmd: Command) => {
      await runCommand(cmd, async (ctx) => {
        const [{ policyDocument }, { formatPolicy }] = await Promise.all([import('../../jobs/policy.js'), import('../../core/policies.js')]);
        await ctx.write(`${formatPolicy(policyDocument(kind, { ...flags, ...(ctx.globals.region === undefined ? {} : { region: ctx.globals.region }) }))}\n`);
        return 0;
      }, { outputs: POLICY_OUTPUTS });
    });
}

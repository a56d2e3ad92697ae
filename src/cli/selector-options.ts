import { Option, type Command } from 'commander';

/** The convenience selector flags shared by `put-event-selectors` and `setup`. */
export function addSelectorOptions(command: Command): Command {
  return command
    .addOption(new Option('--event-selectors <json>', 'basic event selectors: JSON or file://path'))
    .addOption(new Option('--advanced-event-selectors <json>', 'advanced event selectors: JSON or file://path'))
    .addOption(new Option('--management-events <which>', 'management events to record').choices(['all', 'read', 'write', 'none']))
    .addOption(new Option('--exclude-kms-events', 'leave out KMS management events (kms.amazonaws.com)'))
    .addOption(new Option('--exclude-rds-data-api-events', 'leave out RDS Data API management events (rdsdata.amazonaws.com)'))
    .addOption(new Option('--s3-data-events <buckets...>', 'S3 object data events: all, or BUCKET or BUCKET/PREFIX entries'))
    .addOption(new Option('--lambda-data-events <arns...>', 'Lambda invoke data events: all, or function ARNs'))
    .addOption(new Option('--dynamodb-data-events <arns...>', 'DynamoDB data events: all, or table ARNs'));
}

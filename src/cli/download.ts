import { Command, Option } from 'commander';
import { collectList } from './filter-options.js';
import { runCommand } from './run-command.js';
import { TEXT_OR_JSON } from './output-formats.js';
import { addBucketOptions, addTrailOption, type RemoteFlags } from './remote-options.js';

export interface DownloadFlags extends Pick<RemoteFlags, 'bucket' | 'prefix' | 'organizationId' | 'concurrency' | 'trail'> {
  to?: string;
  account: string[];
  eventRegion: string[];
  since?: string;
  until?: string;
  digests: boolean;
}

const EXAMPLES = `
Examples:
  $ trailkit download --bucket my-trail-bucket --to ./trail --since 2d
  $ trailkit download --trail main --to ./trail --since 2d --event-region eu-west-1
  $ trailkit download --bucket my-trail-bucket --prefix org --organization-id o-a1b2c3d4e5 --account 111111111111 --to ./trail
  $ trailkit download --bucket my-trail-bucket --to ./trail --since 2026-11-20 --until 2026-11-21 --no-digests
  $ trailkit grep ./trail --errors            # then search the copy offline

Mirrors the trail's objects (log files, CloudTrail-Digest files, CloudTrail-Insight files) under DIR
with the same relative paths as in the bucket, and keeps each digest's S3 signature metadata beside it
(<digest>.meta.json) for offline integrity validation. With --since/--until only the day folders that
can hold the window are listed (one day of margin); without them, everything under the trail's folders.
--trail NAME|ARN reads the trail's bucket, prefix and organization (GetTrail). --region is the
region to call; --event-region picks the region folders. Run it again to resume: objects already present with the same size and ETag are skipped, and a file
only gets its final name once it is complete. A progress bar on a terminal, a one-line summary on stdout.
Exit status: 0 when every object is present, 2 when some could not be downloaded (each is reported).`;

export function makeDownloadCommand(): Command {
  const command = new Command('download')
    .description("mirror a trail's S3 objects (logs, digests and their signatures, Insights) to a local folder");
  addTrailOption(command);
  addBucketOptions(command)
    .addOption(new Option('--to <dir>', 'the folder to mirror into (created when missing)'))
    .addOption(new Option('--account <id>', 'only these accounts\' folders (repeat or comma-separate)').argParser(collectList).default([]))
    .addOption(new Option('--event-region <region>', 'only these regions\' folders (repeat or comma-separate)').argParser(collectList).default([]))
    .addOption(new Option('--since <time>', 'objects that can hold events at or after TIME: ISO 8601 (extended or basic), epoch seconds, relative (2h, 7d), today, yesterday'))
    .addOption(new Option('--until <time>', 'objects that can hold events at or before TIME'))
    .addOption(new Option('--no-digests', 'skip the CloudTrail-Digest files'))
    .addHelpText('after', EXAMPLES)
    .action(async (flags: DownloadFlags, cmd: Command) => {
      await runCommand(cmd, async (ctx) => (await import('./download-run.js')).runDownload(ctx, flags), { outputs: TEXT_OR_JSON });
    });
  return command;
}

/** `trailkit validate-digest`: flags -> validateDigests (src/jobs/validate-digests.ts) -> aws-cli's text or JSON. */
import { Command, Option } from 'commander';
import type { CliContext } from '../context.js';
import { TEXT_OR_JSON } from '../output-formats.js';
import { runCommand } from '../run-command.js';
import { concurrency } from '../number-options.js';

export interface ValidateDigestFlags {
  bucket?: string;
  trailArn?: string;
  trail?: string;
  startTime?: string;
  endTime?: string;
  prefix?: string;
  accountId?: string[];
  allRegions?: boolean;
  publicKeys?: string[];
  allowUnverifiable?: boolean;
  strict?: boolean;
  concurrency: number;
  verbose?: boolean;
}

const EXAMPLES = `
Examples:
  $ trailkit validate-digest --bucket my-trail-bucket --trail-arn arn:aws:cloudtrail:us-east-1:111111111111:trail/main
  $ trailkit validate-digest --trail main --start-time 7d --all-regions
  $ trailkit validate-digest --bucket my-trail-bucket --trail-arn ARN --start-time 2026-11-19 --all-regions --account-id 111111111111,222222222222
  $ trailkit validate-digest ./trail-download --trail-arn ARN --start-time 7d --public-keys keys.json --output json
  $ aws cloudtrail list-public-keys --region us-east-1 --start-time 2026-11-01 > keys.json

Source: --bucket reads digests and log files from S3 (each digest's signature is in its object
metadata); PATH is a folder mirroring the bucket (keys relative to it), e.g. made by trailkit
download. Offline, each digest's signature is the previousDigestSignature of its successor; the
newest needs the KEY.meta.json that download keeps beside it, else it is "signature
unverifiable": INVALID, unless --allow-unverifiable makes it a warning.
Files judged: every file grep, tail and download read in the trail's log and Insights folders for
the range (any name, any depth). Each is listed by a valid digest, belongs to another trail writing
to the same folders, or is INVALID. Backfill digests are validated as their own chain.
Missing digests: CloudTrail delivers one every hour, so digests that were due and are absent are
INVALID, however old the range.
Public keys: ListPublicKeys in each source region (CloudTrail signs each region's digests with that
region's key), or --public-keys [REGION=]FILE (repeatable) with what 'aws cloudtrail
list-public-keys --region REGION' prints; a FILE without REGION serves every region.
Trail: --trail-arn ARN, or --trail NAME|ARN, which reads the trail (GetTrail) for its ARN, bucket
and prefix (a PATH or --prefix given still wins).
Regions: the trail's home region, --region R[,R...] (given on the command line, before or after
validate-digest), or --all-regions. AWS_REGION and the profile's region pick only the region that
GetTrail by name is called in.
Accounts: the trail's account, or --account-id A[,A...]; an organization's o-... folder is found.

Output: the lines and summary of 'aws cloudtrail validate-logs' (INVALID lines on stderr, as it
does), one block per account-region; --verbose adds the valid lines and a fourth field with the
precise reason of each INVALID line; --output json one document.
Exit status: 0 all valid (warnings included; --strict: no warnings either), 1 anything invalid,
missing, unreferenced or unverifiable, 2 a usage, input or AWS error (also: no public key at all
for a region).`;

function collectOne(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((v) => v.trim()).filter((v) => v !== '')];
}

/** Where --region came from: only a value typed on the command line picks the regions to validate. */
function regionFromCommandLine(cmd: Command): string | undefined {
  for (let c: Command | null = cmd; c !== null; c = c.parent) {
    if (c.getOptionValueSource('region') === 'cli') return c.opts()['region'] as string;
  }
  return undefined;
}

export function makeValidateDigestCommand(): Command {
  return new Command('validate-digest')
    .description('validate CloudTrail log file integrity (digest chain, signatures, log hashes) from S3 or a downloaded folder')
    .argument('[path]', 'a local folder mirroring the trail bucket (instead of --bucket)')
    .addOption(new Option('--bucket <name>', 'the S3 bucket the trail delivers to'))
    .addOption(new Option('--trail-arn <arn>', 'the trail: arn:aws:cloudtrail:HOME_REGION:ACCOUNT:trail/NAME'))
    .addOption(new Option('--trail <name|arn>', 'the trail, read with GetTrail: its ARN, and (unless given) its bucket and prefix').conflicts('trailArn'))
    .addOption(new Option('--start-time <time>', 'oldest delivery time to validate: ISO 8601 (2026-11-20T10:00:00Z or basic 20261120T100000Z; UTC when no zone), epoch seconds, a duration such as 7d, today or yesterday; default: 24 h before --end-time'))
    .addOption(new Option('--end-time <time>', 'newest delivery time to validate (same forms as --start-time); default: now'))
    .addOption(new Option('--prefix <prefix>', 'the S3 key prefix of the trail, before AWSLogs/'))
    .addOption(new Option('--account-id <ids>', 'accounts to validate (repeat or comma-separate); default: the trail\'s account').argParser(collect))
    .addOption(new Option('--all-regions', 'validate every region found under the trail\'s prefix'))
    .addOption(new Option('--public-keys <[region=]file>', 'JSON printed by aws cloudtrail list-public-keys --region REGION, instead of calling ListPublicKeys (repeatable; a file without REGION= serves every region)').argParser(collectOne))
    .addOption(new Option('--allow-unverifiable', 'accept digests whose signature cannot be checked (offline, without their .meta.json): warnings instead of failures'))
    .addOption(new Option('--strict', 'warnings fail the run too: Insights files (outside integrity validation) and log files not yet covered by a digest').conflicts('allowUnverifiable'))
    .addOption(new Option('--concurrency <n>', 'downloads and hashes at once').argParser(concurrency).default(16))
    .addOption(new Option('--verbose', 'also print the valid digest and log files'))
    .addHelpText('after', EXAMPLES)
    .action(async (path: string | undefined, flags: ValidateDigestFlags, cmd: Command) => {
      await runCommand(cmd, (ctx) => runValidateDigest(ctx, path, flags, regionFromCommandLine(cmd)), { outputs: TEXT_OR_JSON });
    });
}

async function runValidateDigest(ctx: CliContext, path: string | undefined, flags: ValidateDigestFlags, regionFlag: string | undefined): Promise<number> {
  const [{ usageError, EXIT_OK, EXIT_NEGATIVE }, { parsePublicKeysArgument }, { parseTrailRef }, { validateDigests }, { digestJson, renderDigestText }, { parseTimeFlag }, { jobOptionsOf }] = await Promise.all([
    import('../../core/errors.js'),
    import('../../core/digest-public-keys.js'),
    import('../../core/resource-refs.js'),
    import('../../jobs/validate-digests.js'),
    import('../../output/digest-report.js'),
    import('../time-flags.js'),
    import('../job-options.js'),
  ]);
  if (flags.trail !== undefined) {
    if (flags.bucket !== undefined) throw usageError('--trail and --bucket: cannot be used together', 'the trail names its bucket; drop --bucket (or give --trail-arn with --bucket)');
    parseTrailRef(flags.trail);
  } else {
    if ((path === undefined) === (flags.bucket === undefined)) {
      throw usageError('give either --bucket BUCKET or a PATH to a downloaded trail folder, not both or neither', 'trailkit validate-digest --bucket B --trail-arn ARN');
    }
    if (flags.trailArn === undefined) throw usageError('validate-digest: needs --trail-arn ARN or --trail NAME|ARN', 'e.g. trailkit validate-digest --trail main');
  }
  const now = ctx.now();
  const end = parseTimeFlag('--end-time', flags.endTime ?? 'now', now, ': ') as Date;
  const start = flags.startTime === undefined ? undefined : parseTimeFlag('--start-time', flags.startTime, now, ': ');
  if (flags.allRegions === true && regionFlag !== undefined) throw usageError('give --region or --all-regions, not both');
  const regions = flags.allRegions === true ? 'all' as const : regionFlag?.split(',').map((r) => r.trim()).filter((r) => r !== '');
  const report = await validateDigests({
    trail: flags.trail ?? (flags.trailArn as string),
    lookUpTrail: flags.trail !== undefined,
    ...(flags.bucket === undefined ? {} : { bucket: flags.bucket }),
    ...(path === undefined ? {} : { path }),
    ...(flags.prefix === undefined ? {} : { prefix: flags.prefix }),
    ...(start === undefined ? {} : { start }),
    end,
    ...(flags.accountId === undefined ? {} : { accounts: flags.accountId }),
    ...(regions === undefined ? {} : { regions }),
    publicKeyFiles: (flags.publicKeys ?? []).map(parsePublicKeysArgument).map((f) => ({ path: f.path, ...(f.region === undefined ? {} : { region: f.region }) })),
    allowUnverifiable: flags.allowUnverifiable === true,
    strict: flags.strict === true,
    concurrency: flags.concurrency,
  }, jobOptionsOf(ctx));
  const run = { trailArn: report.trailArn, startMs: report.startMs, endMs: report.endMs, allowUnverifiable: report.allowUnverifiable, offline: report.offline };
  if ((ctx.globals.output ?? 'text') === 'json') {
    await ctx.write(`${JSON.stringify(digestJson(run, report.locations))}\n`);
  } else {
    for (const piece of renderDigestText(run, report.locations, flags.verbose === true)) {
      if (piece.stream === 'stdout') await ctx.write(piece.text);
      else ctx.stderr.write(piece.text);
    }
  }
  return report.ok ? EXIT_OK : EXIT_NEGATIVE;
}

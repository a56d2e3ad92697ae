#!/usr/bin/env node
// Validates a downloaded trail folder with trailkit's library and prints one line per
// account-region, then exits 0 when every digest and log file is valid, 1 otherwise.
//
//   node examples/validate-digest.mjs FOLDER TRAIL_ARN PUBLIC_KEYS_JSON START END
//
// PUBLIC_KEYS_JSON is what `aws cloudtrail list-public-keys` prints; START and END are ISO times.
import { TrailkitError, validateDigests } from 'trailkit';

const [folder, trail, keys, start, end] = process.argv.slice(2);
if (end === undefined) {
  console.error('usage: node examples/validate-digest.mjs FOLDER TRAIL_ARN PUBLIC_KEYS_JSON START END');
  process.exit(2);
}

try {
  const report = await validateDigests({
    path: folder,
    trail,
    publicKeyFiles: [{ path: keys }],
    start: new Date(start),
    end: new Date(end),
  }, {
    onWarning: (message) => console.error(`warning: ${message}`),
  });
  for (const { location, tally } of report.locations) {
    console.log(`${location.account} ${location.region}: ${tally.validDigests} valid digests, ${tally.invalidDigests} invalid; ${tally.validLogs} valid log files, ${tally.invalidLogs} invalid`);
  }
  console.log(report.ok ? 'all valid' : 'NOT VALID');
  process.exitCode = report.ok ? 0 : 1;
} catch (error) {
  if (!(error instanceof TrailkitError)) throw error;
  console.error(`${error.code}: ${error.message}${error.hint === undefined ? '' : ` (${error.hint})`}`);
  process.exitCode = 2;
}

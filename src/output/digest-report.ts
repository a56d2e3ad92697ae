/**
 * Renders `validate-digest` results. Text is the output of `aws cloudtrail validate-logs`, line
 * for line, so scripts written for it keep working: the start line, `valid` lines (with
 * --verbose) and the summary on stdout; `INVALID` lines, gaps and warnings on stderr, each followed
 * by a blank line. One block per account-region. JSON is one document with every verdict.
 */
import { isAllValid, sumTallies, type LocationReport, type Tally } from '../core/digest-chain.js';
import { displayTime } from '../core/digest.js';
import { safeText } from './terminal-safe.js';

export interface TextPiece {
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}

export interface RunDescription {
  readonly trailArn: string;
  readonly startMs: number;
  readonly endMs: number;
}

function ratio(valid: number, invalid: number, unverifiable: number, name: string, unverifiableWord: string): string {
  const total = valid + invalid + unverifiable;
  if (total === 0) return '';
  let line = `\n${valid}/${total} ${name} files valid`;
  if (invalid > 0) line += `, ${invalid}/${total} ${name} files INVALID`;
  if (unverifiable > 0) line += `, ${unverifiable}/${total} ${name} files ${unverifiableWord}`;
  return line;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The text output, in order, as pieces for stdout and stderr. */
export function renderDigestText(run: RunDescription, reports: readonly LocationReport[], verbose: boolean): TextPiece[] {
  const out: TextPiece[] = [];
  // aws-cli's spacing: an error line is followed by a blank line, and preceded by one when the
  // last thing printed was a valid line.
  let lastWasDoubleSpace = true;
  // Each field is made terminal-safe on its own: keys come from digests and may be hostile.
  const status = (fields: readonly string[], isError: boolean) => {
    const line = fields.map((f) => safeText(f)).join('\t');
    if (isError) {
      out.push({ stream: 'stderr', text: lastWasDoubleSpace ? `${line}\n\n` : `\n${line}\n\n` });
      lastWasDoubleSpace = true;
    } else if (verbose) {
      lastWasDoubleSpace = false;
      out.push({ stream: 'stdout', text: `${line}\n` });
    }
  };
  const several = reports.length > 1;
  for (const report of reports) {
    const where = several ? ` (account ${report.location.account}, region ${report.location.region})` : '';
    out.push({ stream: 'stdout', text: `Validating log files for trail ${safeText(run.trailArn)} between ${displayTime(run.startMs)} and ${displayTime(run.endMs)}${where}\n\n` });
    lastWasDoubleSpace = true;
    for (const event of report.events) {
      if (event.type === 'gap') {
        status([`No log files were delivered by CloudTrail between ${displayTime(event.fromMs)} and ${displayTime(event.toMs)}`], true);
        continue;
      }
      status(['Digest file', event.location, event.verdict], event.status !== 'valid');
      for (const log of event.logFiles) status(['Log file', `s3://${log.bucket}/${log.key}`, log.verdict], log.status !== 'valid');
    }
    if (report.noDigests) {
      // One line, not one per file: with no digest at all, nothing vouches for any log file.
      const n = report.unreferenced.length;
      if (n > 0) status([`INVALID: no digest files for ${report.location.account} ${report.location.region} between ${displayTime(run.startMs)} and ${displayTime(run.endMs)}, but ${plural(n, 'log file')}: validation cannot vouch for them`], true);
    } else {
      for (const log of report.unreferenced) status(['Log file', `s3://${log.bucket}/${log.key}`, log.verdict], true);
    }

    let summary = lastWasDoubleSpace ? '' : '\n';
    summary += `Results requested for ${displayTime(run.startMs)} to ${displayTime(run.endMs)}\n`;
    const t = report.tally;
    if (t.validDigests + t.invalidDigests + t.unverifiableDigests === 0) {
      summary += 'No digests found\n';
      if (t.unreferencedLogs > 0) summary += `\n${plural(t.unreferencedLogs, 'log file')} INVALID: not referenced by any digest\n`;
    } else {
      summary += report.foundStartMs === undefined || report.foundEndMs === undefined
        ? 'No valid digests found in range\n'
        : `Results found for ${displayTime(report.foundStartMs)} to ${displayTime(report.foundEndMs)}:\n`;
      summary += ratio(t.validDigests, t.invalidDigests, t.unverifiableDigests, 'digest', 'signature unverifiable');
      summary += ratio(t.validLogs, t.invalidLogs, t.unverifiableLogs, 'log', 'unverifiable');
      if (t.unreferencedLogs > 0) summary += `\n${t.unreferencedLogs} log file${t.unreferencedLogs === 1 ? '' : 's'} INVALID: not referenced by any digest`;
      summary += '\n';
    }
    out.push({ stream: 'stdout', text: summary });
    lastWasDoubleSpace = true;
  }
  return out;
}

/** The JSON document: every digest and log file with its verdict, per account-region, and totals. */
export function digestJson(run: RunDescription, reports: readonly LocationReport[]): Record<string, unknown> {
  const totals: Tally = sumTallies(reports.map((r) => r.tally));
  return {
    trailArn: run.trailArn,
    requestedStart: displayTime(run.startMs),
    requestedEnd: displayTime(run.endMs),
    valid: isAllValid(totals),
    totals,
    locations: reports.map((r) => ({
      bucket: r.bucket ?? null,
      prefix: r.location.prefix,
      orgId: r.location.orgId ?? null,
      account: r.location.account,
      region: r.location.region,
      foundStart: r.foundStartMs === undefined ? null : displayTime(r.foundStartMs),
      foundEnd: r.foundEndMs === undefined ? null : displayTime(r.foundEndMs),
      totals: r.tally,
      backfillDigestsSkipped: r.backfillSkipped,
      noDigests: r.noDigests,
      digests: r.events.filter((e) => e.type === 'digest').map((d) => ({
        bucket: d.bucket,
        key: d.key ?? null,
        status: d.status,
        verdict: d.verdict,
        ...(d.detail === undefined ? {} : { detail: d.detail }),
        ...(d.count === undefined ? {} : { count: d.count, description: d.location }),
        startTime: d.startTime ?? null,
        endTime: d.endTime ?? null,
        logFiles: d.logFiles.map((l) => ({ bucket: l.bucket, key: l.key, status: l.status, verdict: l.verdict, ...(l.detail === undefined ? {} : { detail: l.detail }) })),
      })),
      gaps: r.events.filter((e) => e.type === 'gap').map((g) => ({ from: displayTime(g.fromMs), to: displayTime(g.toMs) })),
      unreferencedLogFiles: r.unreferenced.map((l) => ({ bucket: l.bucket, key: l.key, status: l.status, verdict: l.verdict, ...(l.detail === undefined ? {} : { detail: l.detail }) })),
    })),
  };
}

/**
 * Renders `validate-digest` results. Text is the output of `aws cloudtrail validate-logs`, line
 * for line, so scripts written for it keep working: the start line, `valid` lines (with
 * --verbose) and the summary on stdout; `INVALID` lines, gaps and warnings on stderr, each followed
 * by a blank line. One block per account-region. What aws-cli has no verdict for comes after its
 * lines and ratios, in lines of the same form. JSON is one document with every verdict.
 */
import type { LogVerdict } from '../core/digest-chain.js';
import { isAllValid, sumTallies, type LocationReport, type Tally } from '../core/digest-validation.js';
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
  readonly allowUnverifiable?: boolean;
  /** Validation of a downloaded folder: the hint for unverifiable digests says how to get signatures. */
  readonly offline?: boolean;
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

/** File verdicts printed one by one without --verbose: failures (warnings are counted in the summary). */
const FAILED_FILE = new Set<LogVerdict['status']>(['unreferenced', 'listed-by-invalid', 'misplaced', 'hash-mismatch', 'not-found', 'invalid-format', 'unverifiable']);

/** The lines after aws-cli's ratios: what trailkit judges on top of it. */
function extraSummaryLines(t: Tally, report: LocationReport, run: RunDescription): string[] {
  const lines: string[] = [];
  if (t.unreferencedLogs > 0) lines.push(`${plural(t.unreferencedLogs, 'log file')} INVALID: not referenced by any digest`);
  if (t.listedByInvalidLogs > 0) lines.push(`${plural(t.listedByInvalidLogs, 'log file')} INVALID: listed only by an INVALID digest`);
  if (t.misplacedFiles > 0) lines.push(`${plural(t.misplacedFiles, 'file')} INVALID: not a CloudTrail file name or location`);
  if (t.otherTrailInvalid > 0) lines.push(`${plural(t.otherTrailInvalid, 'digest or log file')} of other trails in these folders INVALID`);
  if (t.otherTrailLogs > 0) lines.push(`${plural(t.otherTrailLogs, 'log file')} of other trails writing to these folders (${report.otherTrails.join(', ')}): valid`);
  if (t.uncoveredLogs > 0) lines.push(`${plural(t.uncoveredLogs, 'log file')} not yet covered by a digest file (delivered after the newest one; the next is not due yet)`);
  if (t.insightFiles > 0) lines.push(`${plural(t.insightFiles, 'Insights file')} not covered by integrity validation (digest files list log files, not Insights files)`);
  const unverifiable = t.unverifiableDigests + t.unverifiableBackfillDigests + t.otherTrailUnverifiable;
  if (unverifiable > 0) {
    const how = run.offline === true
      ? 'validate with --bucket, or download with trailkit download, which keeps each digest\'s signature in a .meta.json beside it'
      : 'the objects have no signature metadata';
    lines.push(`${plural(unverifiable, 'digest file')} without a signature to check: ${how}${run.allowUnverifiable === true ? ' (accepted: --allow-unverifiable)' : '; --allow-unverifiable accepts them as warnings'}`);
  }
  return lines;
}

/** The text output, in order, as pieces for stdout and stderr. */
export function renderDigestText(run: RunDescription, reports: readonly LocationReport[], verbose: boolean): TextPiece[] {
  const out: TextPiece[] = [];
  // aws-cli's spacing: an error line is followed by a blank line, and preceded by one when the
  // last thing printed was a valid line.
  let lastWasDoubleSpace = true;
  // Each field is made terminal-safe on its own: keys come from digests and listings and may be hostile.
  const status = (fields: readonly string[], isError: boolean, detail?: string) => {
    const all = verbose && isError && detail !== undefined ? [...fields, detail] : fields;
    const line = all.map((f) => safeText(f)).join('\t');
    if (isError) {
      out.push({ stream: 'stderr', text: lastWasDoubleSpace ? `${line}\n\n` : `\n${line}\n\n` });
      lastWasDoubleSpace = true;
    } else if (verbose) {
      lastWasDoubleSpace = false;
      out.push({ stream: 'stdout', text: `${line}\n` });
    }
  };
  const logLine = (log: LogVerdict) => status([log.inDigestFolder === true ? 'Digest file' : 'Log file', `s3://${log.bucket}/${log.key}`, log.verdict], log.status !== 'valid' && log.status !== 'other-trail', log.detail);
  const several = reports.length > 1;
  for (const report of reports) {
    const where = several ? ` (account ${report.location.account}, region ${report.location.region})` : '';
    out.push({ stream: 'stdout', text: `Validating log files for trail ${safeText(run.trailArn)} between ${displayTime(run.startMs)} and ${displayTime(run.endMs)}${where}\n\n` });
    lastWasDoubleSpace = true;
    for (const event of report.events) {
      const prefix = event.backfill ? '(backfill) ' : '';
      if (event.type === 'gap') {
        if (event.logFilesInside === 0) status([`${prefix}No log files were delivered by CloudTrail between ${displayTime(event.fromMs)} and ${displayTime(event.toMs)}`], true);
        else status([`${prefix}INVALID: ${plural(event.logFilesInside, 'log file')} delivered by CloudTrail between ${displayTime(event.fromMs)} and ${displayTime(event.toMs)}, where the digest chain has a gap`], true);
        continue;
      }
      status([`${prefix}Digest file`, event.location, event.verdict], event.status !== 'valid', event.detail);
      for (const log of event.logFiles) logLine(log);
    }
    for (const event of report.otherTrailEvents) {
      const prefix = event.backfill ? '(backfill) ' : '';
      if (event.status !== 'valid') status([`${prefix}Digest file`, event.location, event.verdict], true, event.detail);
      for (const log of event.logFiles) logLine(log);
    }
    const unreferenced = report.files.filter((f) => f.status === 'unreferenced');
    if (report.noDigests && unreferenced.length > 0) {
      // One line, not one per file: with no digest at all, nothing vouches for any log file.
      status([`INVALID: no digest files for ${report.location.account} ${report.location.region} between ${displayTime(run.startMs)} and ${displayTime(run.endMs)}, but ${plural(unreferenced.length, 'log file')}: validation cannot vouch for them`], true);
    }
    for (const file of report.files) {
      if (report.noDigests && file.status === 'unreferenced') continue;
      if (FAILED_FILE.has(file.status) || verbose) logLine(file);
    }

    let summary = lastWasDoubleSpace ? '' : '\n';
    summary += `Results requested for ${displayTime(run.startMs)} to ${displayTime(run.endMs)}\n`;
    const t = report.tally;
    const extra = extraSummaryLines(t, report, run);
    const digests = t.validDigests + t.invalidDigests + t.unverifiableDigests + t.validBackfillDigests + t.invalidBackfillDigests + t.unverifiableBackfillDigests;
    if (digests === 0) {
      summary += 'No digests found\n';
      if (extra.length > 0) summary += `\n${extra.join('\n')}\n`;
    } else {
      summary += report.foundStartMs === undefined || report.foundEndMs === undefined
        ? 'No valid digests found in range\n'
        : `Results found for ${displayTime(report.foundStartMs)} to ${displayTime(report.foundEndMs)}:\n`;
      summary += ratio(t.validDigests, t.invalidDigests, t.unverifiableDigests, 'digest', 'signature unverifiable');
      summary += ratio(t.validBackfillDigests, t.invalidBackfillDigests, t.unverifiableBackfillDigests, 'backfill digest', 'signature unverifiable');
      summary += ratio(t.validLogs, t.invalidLogs, t.unverifiableLogs, 'log', 'unverifiable');
      for (const line of extra) summary += `\n${line}`;
      summary += '\n';
    }
    out.push({ stream: 'stdout', text: summary });
    lastWasDoubleSpace = true;
  }
  return out;
}

const fileJson = (l: LogVerdict) => ({ bucket: l.bucket, key: l.key, status: l.status, verdict: l.verdict, ...(l.detail === undefined ? {} : { detail: l.detail }), ...(l.trail === undefined ? {} : { trail: l.trail }) });

/** The JSON document: every digest and file with its verdict, per account-region, and totals. */
export function digestJson(run: RunDescription, reports: readonly LocationReport[]): Record<string, unknown> {
  const totals: Tally = sumTallies(reports.map((r) => r.tally));
  const digestJsonOf = (d: Extract<LocationReport['events'][number], { type: 'digest' }>) => ({
    bucket: d.bucket,
    key: d.key ?? null,
    backfill: d.backfill,
    status: d.status,
    verdict: d.verdict,
    ...(d.detail === undefined ? {} : { detail: d.detail }),
    ...(d.count === undefined ? {} : { count: d.count, description: d.location }),
    startTime: d.startTime ?? null,
    endTime: d.endTime ?? null,
    logFiles: d.logFiles.map(fileJson),
  });
  return {
    trailArn: run.trailArn,
    requestedStart: displayTime(run.startMs),
    requestedEnd: displayTime(run.endMs),
    valid: isAllValid(totals, run.allowUnverifiable === true),
    allowUnverifiable: run.allowUnverifiable === true,
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
      noDigests: r.noDigests,
      anchor: r.anchor ?? null,
      digests: r.events.filter((e) => e.type === 'digest').map(digestJsonOf),
      gaps: r.events.filter((e) => e.type === 'gap').map((g) => ({ backfill: g.backfill, from: displayTime(g.fromMs), to: displayTime(g.toMs), logFilesInside: g.logFilesInside })),
      files: r.files.map(fileJson),
      unreferencedLogFiles: r.files.filter((f) => f.status === 'unreferenced').map(fileJson),
      otherTrails: r.otherTrails,
      otherTrailDigests: r.otherTrailEvents.map(digestJsonOf),
    })),
  };
}

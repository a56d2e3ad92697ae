import type { CheckResult, CheckSummary } from '../core/verify-checks.js';
import { safeText } from './terminal-safe.js';

/** Characters XML 1.0 cannot hold at all, not even as character references (the rest safeText escapes already). */
const XML_ILLEGAL = /[\ufffe\uffff]/g;

/**
 * Escapes text for an XML attribute or element. Each line is made terminal-safe first (safeText:
 * C0 and C1 controls, bidi and invisible format characters, lone surrogates become `\xHH` or
 * `\uHHHH` text), because a CI system shows these strings to people; XML could not hold C0
 * controls at all.
 */
export function xmlText(value: string): string {
  return value
    .split('\n')
    .map(safeText)
    .join('\n')
    .replace(XML_ILLEGAL, (c) => `\\u${c.charCodeAt(0).toString(16)}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export interface JUnitInput {
  readonly trail: string;
  readonly results: readonly CheckResult[];
  readonly summary: CheckSummary;
  readonly strict: boolean;
  readonly timestamp: Date;
  readonly seconds: number;
}

/**
 * `verify --output junit`: one testcase per check, so a CI system shows each check. A fail is a
 * <failure>, a skip is <skipped>, a warn is a <failure> only with --strict (else it passes with
 * its message in <system-out>).
 */
export function renderJUnit(input: JUnitInput): string {
  const failures = input.results.filter((r) => r.status === 'fail' || (input.strict && r.status === 'warn')).length;
  const skipped = input.results.filter((r) => r.status === 'skip').length;
  const counts = `tests="${input.results.length}" failures="${failures}" errors="0" skipped="${skipped}"`;
  const time = input.seconds.toFixed(3);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="trailkit verify" ${counts} time="${time}">`,
    `  <testsuite name="${xmlText(`trailkit verify ${input.trail}`)}" ${counts} time="${time}" timestamp="${input.timestamp.toISOString().replace(/\.\d{3}Z$/, '')}">`,
  ];
  for (const r of input.results) {
    lines.push(`    <testcase classname="trailkit.verify" name="${xmlText(r.id)}" time="0">`);
    const details = [`status: ${r.status}`, `message: ${r.message}`, `evidence: ${JSON.stringify(r.evidence)}`, ...(r.remediation === undefined ? [] : [`fix: ${r.remediation}`])].join('\n');
    if (r.status === 'fail' || (input.strict && r.status === 'warn')) {
      lines.push(`      <failure message="${xmlText(r.message)}" type="${r.status}">${xmlText(details)}</failure>`);
    } else if (r.status === 'skip') {
      lines.push(`      <skipped message="${xmlText(r.message)}"/>`);
    }
    lines.push(`      <system-out>${xmlText(details)}</system-out>`);
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}

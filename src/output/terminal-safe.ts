/**
 * Terminal safety for record fields. CloudTrail fields such as `userAgent`, `errorMessage` or a
 * request parameter are written by whoever made the call, so printing them raw would let an
 * attacker move the cursor, rewrite earlier lines, plant OSC 8 hyperlinks, set the window title,
 * or reorder and hide text with bidi and zero-width characters (Trojan Source).
 *
 * Escaped forms, lower-case hex, one per UTF-16 code unit:
 * - `\` itself                                   -> `\\`
 * - C0 controls U+0000-U+001F and DEL U+007F      -> `\xHH` (`\x00`, `\x1b`, `\x0a`, `\x7f`)
 * - C1 controls U+0080-U+009F                     -> `\uHHHH` (`\u0085`, `\u009b`)
 * - every format character (category Cf): bidi controls U+061C, U+200E, U+200F, U+202A-U+202E,
 *   U+2066-U+2069; zero-width U+200B-U+200D, U+2060-U+2064, U+FEFF; soft hyphen U+00AD; tags
 *   U+E0000-U+E007F, which can carry invisible text (an astral one becomes two `\u` escapes)
 *                                                  -> `\uHHHH`
 * - line/paragraph separators U+2028, U+2029      -> `\uHHHH`
 * - characters that render as blank but are letters or marks, used to hide text: U+034F combining
 *   grapheme joiner, Hangul fillers U+115F, U+1160, U+3164, U+FFA0 -> `\uHHHH`
 * - lone surrogates                               -> `\uHHHH` (`\ud800`)
 *
 * Every `\` in the output starts one of these escapes, so the output decodes back to exactly the
 * input: no input can forge the escaped form of another. Everything else (letters of any script,
 * emoji, CJK, spaces) passes unchanged. Emoji sequences joined with U+200D are shown with the joiner
 * escaped: visibility wins over ligatures here.
 */

const ESCAPED_CLASS = '[\\u034f\\\\\\x00-\\x1f\\x7f-\\x9f\\p{Cf}\\p{Cs}\\u2028\\u2029\\u115f\\u1160\\u3164\\uffa0]';

/** Non-global, so `test` keeps no lastIndex state between calls. */
const NEEDS_ESCAPE = new RegExp(ESCAPED_CLASS, 'u');
const EACH_ESCAPE = new RegExp(ESCAPED_CLASS, 'gu');

const HEX = '0123456789abcdef';

function escapeCodeUnit(c: number): string {
  if (c === 0x5c) return '\\\\';
  if (c < 0x20 || c === 0x7f) return `\\x${HEX[c >>> 4]}${HEX[c & 15]}`;
  return `\\u${HEX[c >>> 12]}${HEX[(c >>> 8) & 15]}${HEX[(c >>> 4) & 15]}${HEX[c & 15]}`;
}

function escapeMatch(match: string): string {
  // With the `u` flag a match is one code point: one code unit, or a surrogate pair (a tag).
  const first = escapeCodeUnit(match.charCodeAt(0));
  return match.length === 1 ? first : first + escapeCodeUnit(match.charCodeAt(1));
}

/** The text with everything that could drive a terminal or mislead a reader escaped. */
export function safeText(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(EACH_ESCAPE, escapeMatch);
}

/**
 * `safeText(s)` cut to at most `width` characters (code points), ending in `…` when cut. An escape
 * (`\\`, `\xHH`, `\uHHHH`) or a surrogate pair is kept whole or dropped whole.
 */
export function truncateDisplay(s: string, width: number): string {
  const max = Math.floor(width);
  if (!(max > 0)) return '';
  const text = safeText(s);
  // Code units bound code points from above, so this is the common no-cut case.
  if (text.length <= max) return text;

  const budget = max - 1; // room for the ellipsis
  let used = 0;
  let cut = -1;
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    let units = 1;
    let chars = 1;
    if (c === 0x5c) {
      const kind = text.charCodeAt(i + 1);
      units = chars = kind === 0x78 /* x */ ? 4 : kind === 0x75 /* u */ ? 6 : 2;
    } else if (c >= 0xd800 && c <= 0xdbff) {
      units = 2; // safeText escaped every lone surrogate, so this starts a pair
    }
    if (cut < 0 && used + chars > budget) cut = i;
    used += chars;
    if (used > max) return `${text.slice(0, cut)}…`;
    i += units;
  }
  return text;
}

/** Multi-line text (a stack trace, commander's help and errors) with each line made safe; the line breaks stay. */
export function safeLines(s: string): string {
  return s.split('\n').map(safeText).join('\n');
}

/**
 * JSON text whose strings cannot drive a terminal either: JSON.stringify escapes C0 controls but
 * writes C1 controls (U+0080-U+009F), DEL, bidi and invisible format characters and line
 * separators as they are; these become `\uHHHH` escapes, which decode to the same value.
 */
export function safeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\u009f\u00ad\u061c\u115f\u1160\u200b-\u200f\u2028-\u202e\u2060-\u2069\u3164\ufeff\uffa0]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

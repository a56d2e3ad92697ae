import { Chalk, type ChalkInstance } from 'chalk';

export interface ColorSettings {
  /** false when --no-color was given. */
  readonly color: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly isTTY: boolean;
}

/**
 * The one place that decides whether output is coloured: --no-color and NO_COLOR turn it off,
 * FORCE_COLOR turns it on (its value 0-3 picks the level), otherwise only a terminal gets colour.
 * chalk does not read NO_COLOR itself, so its level is always set from here.
 */
export function colorLevel(settings: ColorSettings): 0 | 1 | 2 | 3 {
  if (!settings.color) return 0;
  const noColor = settings.env['NO_COLOR'];
  if (noColor !== undefined && noColor !== '') return 0;
  const force = settings.env['FORCE_COLOR'];
  if (force !== undefined) {
    if (force === '0' || force === 'false') return 0;
    if (force === '2') return 2;
    if (force === '3') return 3;
    return 1;
  }
  if (!settings.isTTY) return 0;
  const term = settings.env['TERM'];
  if (term === 'dumb') return 0;
  const colorterm = settings.env['COLORTERM'];
  if (colorterm === 'truecolor' || colorterm === '24bit') return 3;
  if (term !== undefined && /256/.test(term)) return 2;
  return 1;
}

export function makeChalk(settings: ColorSettings): ChalkInstance {
  return new Chalk({ level: colorLevel(settings) });
}

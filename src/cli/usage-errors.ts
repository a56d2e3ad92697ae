/**
 * commander's usage errors in trailkit's one style, `trailkit: <what>: <why> (<fix>)`, instead
 * of commander's `error: ...` lines: the same shape as every other error, with commander's
 * "did you mean" suggestions kept as the fix.
 */

export interface UsageMessage {
  readonly message: string;
  readonly hint: string;
}

/** The option's long flag out of commander's `'--since <time>'` form. */
function flagOf(flags: string): string {
  const long = /--[\w-]+/.exec(flags)?.[0];
  return long ?? flags.split(/[ ,]/)[0] ?? flags;
}

/** `(Did you mean --event-name?)` -> `did you mean --event-name?` */
function suggestionOf(message: string): string | undefined {
  const m = /\(Did you mean (.+?)\?\)/.exec(message);
  return m === null ? undefined : `did you mean ${m[1] as string}?`;
}

/**
 * Rewrites one commander error. `command` is how to call the command that refused the input
 * (`trailkit grep`), for the help hint.
 */
export function formatUsageError(code: string, raw: string, command: string): UsageMessage {
  const message = raw.replace(/^error:\s*/, '').trim();
  const help = `see ${command} --help`;
  const name = command.split(' ').pop() ?? command;
  const suggestion = suggestionOf(message);
  let m: RegExpExecArray | null;
  switch (code) {
    case 'commander.unknownOption':
      if ((m = /^unknown option '([^']*)'/.exec(message)) !== null) return { message: `${m[1] as string}: unknown option`, hint: suggestion ?? help };
      break;
    case 'commander.unknownCommand':
      if ((m = /^unknown command '([^']*)'/.exec(message)) !== null) return { message: `${m[1] as string}: unknown command`, hint: suggestion ?? help };
      break;
    case 'commander.missingMandatoryOptionValue':
      if ((m = /^required option '([^']*)' not specified/.exec(message)) !== null) return { message: `${flagOf(m[1] as string)}: required, not given`, hint: help };
      break;
    case 'commander.optionMissingArgument':
      if ((m = /^option '([^']*)' argument missing/.exec(message)) !== null) return { message: `${flagOf(m[1] as string)}: needs a value`, hint: `e.g. ${m[1] as string}; ${help}` };
      break;
    case 'commander.missingArgument':
      if ((m = /^missing required argument '([^']*)'/.exec(message)) !== null) return { message: `${name}: missing the ${m[1] as string} argument`, hint: help };
      break;
    case 'commander.invalidArgument': {
      if ((m = /^option '([^']*)' argument '((?:[^']|'(?! is invalid))*)' is invalid\.\s*(.*)$/s.exec(message)) !== null) {
        const choices = /^Allowed choices are (.*)\.$/.exec(m[3] as string);
        if (choices !== null) return { message: `${flagOf(m[1] as string)} '${m[2] as string}': not one of ${choices[1] as string}`, hint: help };
        return { message: `${flagOf(m[1] as string)}: ${m[3] === '' ? `'${m[2] as string}' is not valid` : (m[3] as string)}`, hint: help };
      }
      if ((m = /^command-argument value '((?:[^']|'(?! is invalid))*)' is invalid for argument '([^']*)'\.\s*(.*)$/s.exec(message)) !== null) {
        const why = (m[3] as string).replace(/^Allowed choices are (.*)\.$/, 'not one of $1');
        return { message: `${m[2] as string} '${m[1] as string}': ${why === '' ? 'not valid' : why}`, hint: help };
      }
      break;
    }
    case 'commander.conflictingOption':
      if ((m = /^(?:option|environment variable) '([^']*)' cannot be used with (?:option|environment variable) '([^']*)'/.exec(message)) !== null) {
        return { message: `${flagOf(m[1] as string)}: cannot be used with ${flagOf(m[2] as string)}`, hint: 'give one of them' };
      }
      break;
    case 'commander.excessArguments':
      if ((m = /Expected (\d+) arguments? but got (\d+)/.exec(message)) !== null) {
        const expected = Number(m[1]);
        return { message: `${name}: too many arguments (takes ${expected === 0 ? 'none' : `at most ${expected}`}, got ${m[2] as string})`, hint: help };
      }
      break;
    default:
      break;
  }
  const first = message.split('\n')[0] ?? message;
  return { message: first, hint: suggestion ?? help };
}

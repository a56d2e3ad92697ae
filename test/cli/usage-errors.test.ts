import { describe, expect, it } from 'vitest';
import { formatUsageError } from '../../src/cli/usage-errors.js';

describe("commander's errors in trailkit's one style", () => {
  it.each([
    ['commander.unknownOption', "error: unknown option '--evnt-name'\n(Did you mean --event-name?)", 'trailkit grep', '--evnt-name: unknown option', 'did you mean --event-name?'],
    ['commander.unknownOption', "error: unknown option '--zzz'", 'trailkit grep', '--zzz: unknown option', 'see trailkit grep --help'],
    ['commander.unknownCommand', "error: unknown command 'gerp'\n(Did you mean grep?)", 'trailkit', 'gerp: unknown command', 'did you mean grep?'],
    ['commander.missingMandatoryOptionValue', "error: required option '--log-group-name <name>' not specified", 'trailkit create-log-group', '--log-group-name: required, not given', 'see trailkit create-log-group --help'],
    ['commander.optionMissingArgument', "error: option '--since <time>' argument missing", 'trailkit grep', '--since: needs a value', 'e.g. --since <time>; see trailkit grep --help'],
    ['commander.invalidArgument', "error: option '--concurrency <n>' argument '0' is invalid. '0' is not a whole number from 1 to 256", 'trailkit grep', "--concurrency: '0' is not a whole number from 1 to 256", 'see trailkit grep --help'],
    ['commander.invalidArgument', "error: option '--management-events <which>' argument 'some' is invalid. Allowed choices are all, read, write, none.", 'trailkit setup', "--management-events 'some': not one of all, read, write, none", 'see trailkit setup --help'],
    ['commander.conflictingOption', "error: option '--read-only' cannot be used with option '--write-only'", 'trailkit grep', '--read-only: cannot be used with --write-only', 'give one of them'],
    ['commander.excessArguments', "error: too many arguments for 'verify'. Expected 0 arguments but got 1.", 'trailkit verify', 'verify: too many arguments (takes none, got 1)', 'see trailkit verify --help'],
    ['commander.missingArgument', "error: missing required argument 'kind'", 'trailkit policy', 'policy: missing the kind argument', 'see trailkit policy --help'],
  ])('%s: %j', (code, raw, command, message, hint) => {
    expect(formatUsageError(code, raw, command)).toEqual({ message, hint });
  });
});

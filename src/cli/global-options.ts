import { Option, type Command } from 'commander';

/**
 * The options every command takes (SPEC section 1). They are accepted before the command name
 * (`trailkit --debug grep ...`) and after it. `--region` is added only where it names the AWS
 * region to call; on `grep` and `tail` it filters events by region instead.
 */
export function addGlobalOptions(command: Command, options: { aws: boolean }): Command {
  if (options.aws) {
    command
      .addOption(new Option('--profile <name>', 'AWS profile from the shared config files').env('AWS_PROFILE'))
      .addOption(new Option('--region <region>', 'AWS region to call').env('AWS_REGION'))
      .addOption(new Option('--endpoint-url <url>', 'send every AWS call to this endpoint (a local emulator, say)'));
  }
  return command
    .addOption(new Option('--output <format>', 'output format (see each command)'))
    .addOption(new Option('--no-color', 'no colour, also when NO_COLOR is set; FORCE_COLOR forces it'))
    .addOption(new Option('--debug', 'print details and stack traces of errors to stderr'));
}

import { Option, type Command } from 'commander';

/**
 * The options every command takes (SPEC section 1). They are accepted before the command name
 * (`trailkit --region eu-west-1 grep ...`) and after it, and a value typed on the command line
 * always beats the environment: the options read no environment variable themselves (no
 * commander `.env()`), so AWS_REGION and AWS_PROFILE reach the SDK only when no flag was given,
 * and the SDK then prefers them to the profile's config, as the AWS CLI does.
 *
 * `aws: true` adds `--profile`, `--region` (the AWS region to call) and `--endpoint-url`.
 */
export function addGlobalOptions(command: Command, options: { aws: boolean }): Command {
  if (options.aws) {
    command
      .addOption(new Option('--profile <name>', 'AWS profile from the shared config files (default: AWS_PROFILE, then default)'))
      .addOption(new Option('--region <region>', 'AWS region to call (default: AWS_REGION, then the profile\'s region)'))
      .addOption(new Option('--endpoint-url <url>', 'send every AWS call to this endpoint (a local emulator, say; default: AWS_ENDPOINT_URL)'));
  }
  return command
    .addOption(new Option('--output <format>', 'output format (see each command)'))
    .addOption(new Option('--no-color', 'no colour, also when NO_COLOR is set; FORCE_COLOR forces it'))
    .addOption(new Option('--debug', 'print details and stack traces of errors to stderr'));
}

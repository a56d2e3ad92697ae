import { Option, type Command } from 'commander';

/** How grep and tail print events: the fields and the header line. */
export function addEventPrintOptions(command: Command): Command {
  return command
    .addOption(new Option('--fields <list>', 'the fields to print, e.g. eventTime,eventName,userIdentity.arn: labelled columns, or with json one object per event with only these'))
    .addOption(new Option('--headers', 'print a header line (default: on a terminal)'))
    .addOption(new Option('--no-headers', 'no header line'));
}

/** grep and tail on a Parquet index instead of the files. */
export function addIndexSourceOptions(command: Command): Command {
  return command
    .addOption(new Option('--index <dir>', 'search a Parquet index made by trailkit index (same events, order and bytes as on the files)'))
    .addOption(new Option('--verified', 'with --index: only events of files whose integrity verdict is valid (index --validate)'));
}

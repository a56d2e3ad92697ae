import type { ChalkInstance } from 'chalk';
import { once } from 'node:events';
import { makeChalk } from '../output/colors.js';
import { safeText } from '../output/terminal-safe.js';

/** The options every command accepts (SPEC section 1). */
export interface GlobalOptions {
  profile?: string;
  region?: string;
  endpointUrl?: string;
  output?: string;
  color: boolean;
  debug?: boolean;
}

/** What a command needs from the process: its streams, environment and clock. */
export interface CliContext {
  readonly globals: GlobalOptions;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly stdin: NodeJS.ReadStream;
  readonly stdoutIsTTY: boolean;
  readonly chalk: ChalkInstance;
  readonly errChalk: ChalkInstance;
  now(): Date;
  /** Writes to stdout, waiting when the pipe is full so memory stays bounded. */
  write(text: string): Promise<void>;
  /** A one-line warning on stderr. */
  warn(message: string): void;
  /** What the command is doing, dimmed on stderr (`trailkit: searching ... from ... to ...`). */
  notice(message: string): void;
  debug(message: string): void;
}

export function makeContext(globals: GlobalOptions): CliContext {
  const { stdout, stderr, stdin, env } = process;
  const settings = (isTTY: boolean) => ({ color: globals.color, env, isTTY });
  const chalk = makeChalk(settings(stdout.isTTY === true));
  const errChalk = makeChalk(settings(stderr.isTTY === true));
  return {
    globals,
    env,
    stdout,
    stderr,
    stdin,
    stdoutIsTTY: stdout.isTTY === true,
    chalk,
    errChalk,
    now: () => new Date(),
    async write(text: string) {
      if (!stdout.write(text)) await once(stdout, 'drain');
    },
    // Warnings echo keys, file names and AWS messages: hostile text is escaped (safeText).
    warn(message: string) {
      stderr.write(`${errChalk.yellow('trailkit: warning:')} ${safeText(message)}\n`);
    },
    notice(message: string) {
      stderr.write(`${errChalk.dim(`trailkit: ${safeText(message)}`)}\n`);
    },
    debug(message: string) {
      if (globals.debug === true) stderr.write(`${errChalk.dim(`trailkit: debug: ${safeText(message)}`)}\n`);
    },
  };
}


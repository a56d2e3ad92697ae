/**
 * Named profiles of the shared AWS config and credentials files, read without the SDK, so that a
 * profile that does not exist is named as missing before any call (the SDK would report it as
 * "could not load credentials", or use no region at all).
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TrailkitError } from '../core/errors.js';

/**
 * The profile names an INI text defines. In the config file a profile is `[profile NAME]` (and
 * `[default]`); `[sso-session X]` and `[services X]` are not profiles. In the credentials file
 * every section is a profile.
 */
export function profilesIn(text: string, kind: 'config' | 'credentials'): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*\[([^\]]+)\]\s*(?:[#;].*)?$/.exec(line);
    if (m === null) continue;
    const section = (m[1] as string).trim();
    if (kind === 'credentials') {
      out.push(section);
      continue;
    }
    const named = /^profile\s+(.+)$/.exec(section);
    if (named !== null) out.push((named[1] as string).trim());
    else if (section === 'default') out.push('default');
  }
  return out;
}

function expandHome(path: string): string {
  return path.startsWith('~/') ? join(homedir(), path.slice(2)) : path;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** The config and credentials files the SDK reads: AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE, or ~/.aws/. */
export function sharedFiles(env: Readonly<Record<string, string | undefined>>): { config: string; credentials: string } {
  const config = env['AWS_CONFIG_FILE'];
  const credentials = env['AWS_SHARED_CREDENTIALS_FILE'];
  return {
    config: expandHome(config === undefined || config === '' ? '~/.aws/config' : config),
    credentials: expandHome(credentials === undefined || credentials === '' ? '~/.aws/credentials' : credentials),
  };
}

/**
 * Throws when the profile named by --profile or AWS_PROFILE is in neither file. `default` is not
 * checked: without any file the SDK still uses environment credentials and instance roles for it.
 */
export function checkProfileExists(profile: string | undefined, source: string, env: Readonly<Record<string, string | undefined>>): void {
  if (profile === undefined || profile === '' || profile === 'default') return;
  const files = sharedFiles(env);
  const known = new Set([...profilesIn(readText(files.config), 'config'), ...profilesIn(readText(files.credentials), 'credentials')]);
  if (known.has(profile)) return;
  const list = [...known].sort();
  const where = `${files.config} or ${files.credentials}`;
  throw new TrailkitError('profile', `${source} '${profile}': no such profile in ${where}`, {
    hint: list.length === 0 ? `create it with aws configure --profile ${profile}` : `profiles there: ${list.slice(0, 8).join(', ')}${list.length > 8 ? ', ...' : ''}; or create it with aws configure --profile ${profile}`,
  });
}

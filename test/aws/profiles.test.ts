import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkProfileExists, profilesIn } from '../../src/aws/profiles.js';

const dir = mkdtempSync(join(tmpdir(), 'trailkit-profiles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('named profiles of the shared config files', () => {
  it('reads [profile X] and [default] in the config file, every section in the credentials file', () => {
    const config = '[default]\nregion = us-east-1\n[profile dev]\nregion=eu-west-1\n[sso-session corp]\nsso_region = us-east-1\n[services local]\n  [profile  spaced ] # comment\n';
    expect(profilesIn(config, 'config')).toEqual(['default', 'dev', 'spaced']);
    expect(profilesIn('[ci]\naws_access_key_id = x\n[default]\n', 'credentials')).toEqual(['ci', 'default']);
  });

  it('names a missing profile as missing, with the ones there are', () => {
    const config = join(dir, 'config');
    const credentials = join(dir, 'credentials');
    writeFileSync(config, '[profile dev]\nregion = eu-west-1\n');
    writeFileSync(credentials, '[ci]\naws_access_key_id = x\n');
    const env = { AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: credentials };
    expect(() => checkProfileExists('dev', '--profile', env)).not.toThrow();
    expect(() => checkProfileExists('ci', 'AWS_PROFILE', env)).not.toThrow();
    expect(() => checkProfileExists('default', '--profile', env)).not.toThrow();
    expect(() => checkProfileExists('prod', '--profile', env)).toThrow(`--profile 'prod': no such profile in ${config} or ${credentials}`);
    try {
      checkProfileExists('prod', 'AWS_PROFILE', env);
    } catch (error) {
      expect((error as { hint: string }).hint).toBe('profiles there: ci, dev; or create it with aws configure --profile prod');
    }
  });
});

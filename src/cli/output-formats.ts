/**
 * The `--output` values each command accepts, in one place (checked by runCommand before the
 * command runs, with one wording). Kept apart from the renderers so that defining the commands
 * loads none of them.
 */
export const EVENT_OUTPUTS = ['pretty', 'table', 'text', 'json'] as const;
export const TEXT_OR_JSON = ['text', 'json'] as const;
export const VERIFY_OUTPUTS = ['text', 'json', 'junit'] as const;
export const POLICY_OUTPUTS = ['json'] as const;

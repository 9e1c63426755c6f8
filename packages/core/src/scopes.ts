// Scope checks on the agent's own token, before a request is sent.

import { AuthSecPermissionError } from './errors.js';
import type { DelegationTokenInfo } from './types.js';

/**
 * Throws unless the token carries every one of `scopes` (exact string match).
 * @param info - the token's facts, from `client.getDelegationTokenInfo()`
 * @param scopes - the permissions the next call needs
 * @throws AuthSecPermissionError naming the first missing scope as `requiredScope`; nothing was sent
 */
export function requireTokenPermissions(
  info: Pick<DelegationTokenInfo, 'permissions' | 'mode'>,
  scopes: readonly string[],
): void {
  const missing = scopes.filter((scope) => !info.permissions.includes(scope));
  if (missing.length === 0) return;
  const list = missing.map((s) => `"${s}"`).join(', ');
  throw new AuthSecPermissionError(
    `The delegation token lacks ${list}, so the call was not made (it carries ${info.permissions.length ? info.permissions.join(', ') : 'no permissions'}).`,
    {
      requiredScope: missing[0],
      hint:
        info.mode === 'mock'
          ? `Mock tokens carry the \`mock.permissions\` option; add ${list} there, or go live.`
          : `Ask an AuthSec admin to add ${list} to this agent's trust delegation, then re-delegate.`,
    },
  );
}

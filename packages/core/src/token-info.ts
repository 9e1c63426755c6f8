// What getDelegationTokenInfo() returns: the token's facts, with the token itself kept out of any print.

import type { DelegationTokenInfo, TokenFacts } from './types.js';

export type { DelegationTokenInfo };

const infos = new WeakMap<TokenFacts, DelegationTokenInfo>();

/** The info object for cached facts, made once per token so cache hits allocate nothing. */
export function toTokenInfo(facts: TokenFacts): DelegationTokenInfo {
  const known = infos.get(facts);
  if (known) return known;
  const summary = () => ({
    jti: facts.jti,
    expiresAt: facts.expiresAt.toISOString(),
    permissions: facts.permissions,
    audience: facts.audience,
    spiffeId: facts.spiffeId,
    clientId: facts.clientId,
    workspaceId: facts.workspaceId,
    mode: facts.mode,
  });
  const info = {
    expiresAt: new Date(facts.expiresAt.getTime()),
    permissions: facts.permissions,
    audience: facts.audience,
    spiffeId: facts.spiffeId,
    clientId: facts.clientId,
    workspaceId: facts.workspaceId,
    jti: facts.jti,
    mode: facts.mode,
  };
  Object.defineProperties(info, {
    token: { value: facts.token, enumerable: false },
    toJSON: { value: summary, enumerable: false },
    [Symbol.for('nodejs.util.inspect.custom')]: {
      value: () => `DelegationTokenInfo ${JSON.stringify(summary())}`,
      enumerable: false,
    },
  });
  const frozen = Object.freeze(info) as DelegationTokenInfo;
  infos.set(facts, frozen);
  return frozen;
}

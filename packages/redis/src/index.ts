// @authsec/redis: a Redis TokenStore for @authsec/core, so a fleet of processes shares its tokens.

export { RedisTokenStore, type RedisTokenStoreOptions } from './redis-token-store.js';

// The package version, stamped at build time (tsup `define`), for the User-Agent.

declare const __AUTHSEC_CORE_VERSION__: string | undefined;

/** This package's version. */
export const VERSION: string =
  typeof __AUTHSEC_CORE_VERSION__ === 'string' ? __AUTHSEC_CORE_VERSION__ : '0.0.0-dev';

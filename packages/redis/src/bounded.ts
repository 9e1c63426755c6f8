// Every Redis command has a time limit, and fails with an AuthSec error that holds nothing of ioredis'.

import { AuthSecClosedError, AuthSecNetworkError, AuthSecTimeoutError } from '@authsec/core';

/**
 * Settles like `work`, or rejects with AuthSecTimeoutError after `limitMs`.
 * @param command - named in the error
 * @param work - the command in flight
 * @param limitMs - the time limit
 */
export function bounded<T>(command: string, work: Promise<T>, limitMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new AuthSecTimeoutError(`Redis did not answer ${command} within ${limitMs} ms.`, {
          timeoutMs: limitMs,
          hint: 'Check that Redis is reachable, or raise operationTimeoutMs.',
        }),
      );
    }, limitMs);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(redisFailure(command, error));
      },
    );
  });
}

/**
 * An ioredis error, rebuilt without it: ioredis errors keep the command and its arguments (a
 * sealed token) and the connection options (a password).
 */
function redisFailure(command: string, error: unknown): Error {
  if (error instanceof AuthSecClosedError || error instanceof AuthSecTimeoutError) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  const name = error instanceof Error ? error.name : 'Error';
  const detail = typeof code === 'string' && /^[A-Z_]{2,40}$/.test(code) ? code : name;
  return new AuthSecNetworkError(`Redis failed on ${command} (${detail}).`, {
    hint: 'Check that Redis is reachable and accepts this client.',
  });
}

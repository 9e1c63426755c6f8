// Every way a user prints an object: util.inspect (all of it), JSON.stringify, String, a template literal, console.log.

import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';

/** How a value was shown, and what that gave (or the error it threw, which is shown too). */
export type Shown = ReadonlyArray<readonly [how: string, text: string]>;

/**
 * Shows `value` every way a user might print it.
 * @param value - any object, error or function
 * @returns one text per way
 */
export function showEveryWay(value: unknown): Shown {
  return [
    [
      'util.inspect(depth Infinity, showHidden)',
      attempt(() => inspect(value, { depth: Infinity, showHidden: true })),
    ],
    ['util.inspect', attempt(() => inspect(value))],
    ['JSON.stringify', attempt(() => String(JSON.stringify(value)))],
    ['String', attempt(() => String(value))],
    ['template literal', attempt(() => `${value as string}`)],
    ['console.log', attempt(() => consoleLog(value))],
    ['console.error', attempt(() => consoleLog(value, 'error'))],
  ];
}

function attempt(show: () => string): string {
  try {
    return show();
  } catch (error) {
    // What a throwing toString/toJSON says is printed by whoever catches it: check it too.
    return `threw: ${inspect(error, { depth: Infinity, showHidden: true })}`;
  }
}

/** What `console.log(value)` prints, captured from a Console of its own (nothing is patched). */
function consoleLog(value: unknown, method: 'log' | 'error' = 'log'): string {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  new Console({ stdout: sink, stderr: sink, colorMode: false })[method](value);
  return text;
}

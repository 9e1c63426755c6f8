// The shortcuts of origins.ts (the plain-path join, the per-origin decision) give the checked answers.

import { describe, expect, it } from 'vitest';
import { AuthSecOriginNotAllowedError } from '../src/errors.js';
import { joinPath, OriginPolicy } from '../src/origins.js';

/**
 * The same join through every check: an empty query (`?`) keeps a path off the shortcut and
 * changes nothing else, so the answers must match once that `?` is taken off again.
 */
function checkedJoin(base: string, path: string): string {
  if (/[?#]/.test(path)) return join(base, path);
  try {
    const href = joinPath(new URL(base), `${path}?`, 'GET').href;
    expect(href.endsWith('?')).toBe(true);
    return href.slice(0, -1);
  } catch (error) {
    return `refused: ${(error as Error).message}`;
  }
}

function join(base: string, path: string): string {
  try {
    return joinPath(new URL(base), path, 'GET').href;
  } catch (error) {
    return `refused: ${(error as Error).message}`;
  }
}

describe('joinPath: a plain path joins exactly as the checked join does', () => {
  const bases = [
    'http://127.0.0.1:4000/api',
    'http://127.0.0.1:4000/api/',
    'https://api.example.com',
    'https://api.example.com/v1/x',
  ];
  const paths = [
    '',
    '/',
    'docs',
    '/docs',
    '/docs/42',
    'docs/',
    '/a:b/@c/~d/e.f/g-h_i',
    "/it's(1)*;x=y,z&+$!",
    '/.well-known/x',
    '/a./..b/...',
    '..',
    '/..',
    '/docs/../..',
    '/docs/./x',
    '.',
    './docs',
    '//evil.example/x',
    '///x',
    '/a//b',
    '/%2e%2e/x',
    '/docs?limit=1',
    '/docs#top',
    '/a b',
    '/a\\b',
    '/a\tb',
  ];
  for (const base of bases) {
    it.each(paths)(`${base} + %j`, (path) => {
      expect(join(base, path)).toBe(checkedJoin(base, path));
    });
  }

  it('a base whose path holds a percent sign takes the checked join', () => {
    expect(() => joinPath(new URL('https://api.example.com/a%2F..'), '/docs', 'GET')).toThrow(
      AuthSecOriginNotAllowedError,
    );
  });
});

describe('OriginPolicy: an origin that passed once still refuses what the checks refuse', () => {
  it('credentials, another scheme on the same origin, and plain http off loopback are refused after a pass', () => {
    const policy = new OriginPolicy(['https://api.example.com', 'http://127.0.0.1:4000']);
    policy.assertAllowed(new URL('https://api.example.com/docs'), 'GET');
    policy.assertAllowed(new URL('http://127.0.0.1:4000/docs'), 'GET');
    for (const url of [
      'https://user@api.example.com/docs',
      'https://:secret@api.example.com/docs',
      'blob:https://api.example.com/0b5c6f1e',
      'http://api.example.com/docs',
      'https://127.0.0.1:4000/docs',
      'https://api.example.com:8443/docs',
    ]) {
      expect(() => policy.assertAllowed(new URL(url), 'GET'), url).toThrow(
        AuthSecOriginNotAllowedError,
      );
    }
    // And the passes still pass.
    policy.assertAllowed(new URL('https://api.example.com/other?q=1'), 'POST');
    policy.assertAllowed(new URL('http://127.0.0.1:4000/'), 'GET');
  });

  it('an allowed plain-http origin off loopback is refused every time, never remembered', () => {
    const policy = new OriginPolicy(['http://api.example.com']);
    for (let i = 0; i < 2; i++) {
      expect(() => policy.assertAllowed(new URL('http://api.example.com/x'), 'GET')).toThrow(
        /plain http is allowed only to loopback/,
      );
    }
  });
});

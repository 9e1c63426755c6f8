// Proves how a bad server URL is reported: the value shown (credentials stripped), and the fix.

import { describe, expect, it } from 'vitest';
import { AuthSecClient } from '../src/client.js';
import { AuthSecConfigError } from '../src/errors.js';

const ID = '6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11';

function problemsFor(env: Record<string, string>): string {
  try {
    new AuthSecClient({ env, logLevel: 'silent' });
  } catch (error) {
    expect(error).toBeInstanceOf(AuthSecConfigError);
    return (error as AuthSecConfigError).problems.join('\n');
  }
  throw new Error('expected an AuthSecConfigError');
}

describe('a server URL without a scheme', () => {
  it('shows the value and suggests https:// for a remote host', () => {
    const text = problemsFor({
      AUTHSEC_BASE_URL: 'prod.api.authsec.ai',
      AUTHSEC_AGENT_CLIENT_ID: ID,
    });
    expect(text).toMatch(/baseUrl is not a URL: it has no scheme \(got 'prod\.api\.authsec\.ai'\)/);
    expect(text).toContain('https://prod.api.authsec.ai');
    expect(text).toContain('AUTHSEC_BASE_URL');
  });

  it('suggests http:// for localhost and 127.0.0.1', () => {
    expect(
      problemsFor({ AUTHSEC_BASE_URL: 'localhost:8080', AUTHSEC_AGENT_CLIENT_ID: ID }),
    ).toContain('http://localhost:8080');
    expect(
      problemsFor({ AUTHSEC_BASE_URL: '127.0.0.1:8080/gw', AUTHSEC_AGENT_CLIENT_ID: ID }),
    ).toContain('http://127.0.0.1:8080/gw');
  });

  it('strips a user name, password and query string from the value it shows', () => {
    const text = problemsFor({
      AUTHSEC_BASE_URL: 'admin:hunter2secret@auth.example.com/x?token=abc123secret',
      AUTHSEC_AGENT_CLIENT_ID: ID,
    });
    expect(text).toContain('auth.example.com/x');
    expect(text).not.toContain('hunter2secret');
    expect(text).not.toContain('abc123secret');
    expect(text).not.toContain('admin');
  });

  it('applies to DOWNSTREAM_URL too', () => {
    const text = problemsFor({
      AUTHSEC_BASE_URL: 'https://prod.api.authsec.ai',
      AUTHSEC_AGENT_CLIENT_ID: ID,
      DOWNSTREAM_URL: 'api.internal.example/v1',
    });
    expect(text).toMatch(
      /downstreamUrl is not a URL: it has no scheme \(got 'api\.internal\.example\/v1'\)/,
    );
    expect(text).toContain('https://api.internal.example/v1');
    expect(text).toContain('DOWNSTREAM_URL');
  });
});

describe('a value that is no URL at all', () => {
  it('shows the (cut, credential-free) value', () => {
    const text = problemsFor({
      AUTHSEC_BASE_URL: 'https://exa mple.com',
      AUTHSEC_AGENT_CLIENT_ID: ID,
    });
    expect(text).toMatch(/baseUrl is not a URL \(got 'https:\/\/exa mple\.com'\)/);
  });
});

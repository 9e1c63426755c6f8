// Loaded with `node --import` into an example (and the processes it forks): writes down every secret
// that process holds or that crosses one of its HTTP servers, so the test knows what must never print.
// It only observes; nothing an example sends or answers is changed.

import { appendFileSync } from 'node:fs';
import http from 'node:http';

const out = new URL(import.meta.url).searchParams.get('out');
const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]*/g;
const SECRET_ENV = ['AUTHSEC_STORE_KEY', 'AUTHSEC_STORE_PREVIOUS_KEYS', 'AUTHSEC_SESSION_TOKEN'];

function record(kind, value) {
  if (out === null || typeof value !== 'string' || value.trim() === '') return;
  appendFileSync(out, `${JSON.stringify({ kind, value: value.trim(), pid: process.pid })}\n`);
}

for (const name of SECRET_ENV) {
  for (const value of (process.env[name] ?? '').split(',')) record(name, value);
}

// Every bearer a local server receives (delegation tokens at the API, sessions at AuthSec, model
// keys at the OpenAI-compatible server) and every JWT a local server answers with.
const { write, end } = http.ServerResponse.prototype;
function observe(chunk) {
  if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
  const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  for (const jwt of text.match(JWT) ?? []) record('response-jwt', jwt);
}
http.ServerResponse.prototype.write = function (chunk, encoding, callback) {
  observe(chunk);
  return write.call(this, chunk, encoding, callback);
};
http.ServerResponse.prototype.end = function (chunk, encoding, callback) {
  observe(chunk);
  const authorization = this.req?.headers?.authorization;
  if (typeof authorization === 'string') record('bearer', authorization.replace(/^\S+\s+/, ''));
  return end.call(this, chunk, encoding, callback);
};

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { OpenAITestServer } from '@authsec/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let llm: OpenAITestServer;
beforeAll(async () => {
  llm = await OpenAITestServer.start();
});
afterAll(() => llm.close());

describe('@authsec/autogen exports', () => {
  it('loads and runs without the optional openai peer, and says how to get it for config_list', async () => {
    llm.setReplies([{ content: 'hello without openai' }]);
    // A resolve hook makes `openai` impossible to find, as in an install without it.
    const hook = `export async function resolve(specifier, context, next) {
      if (specifier === 'openai' || specifier.startsWith('openai/')) {
        const error = new Error("Cannot find package 'openai'");
        error.code = 'ERR_MODULE_NOT_FOUND';
        throw error;
      }
      return next(specifier, context);
    }`;
    const script = `
      import { register } from 'node:module';
      register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));
      const { AssistantAgent } = await import(${JSON.stringify(fileURLToPath(new URL('../dist/index.js', import.meta.url)))});
      // Any object with chat.completions.create will do; this one posts with fetch.
      const client = { chat: { completions: { create: async (body) => {
        const res = await fetch(process.env.LLM + '/chat/completions', {
          method: 'POST',
          headers: { authorization: 'Bearer sk-test', 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        return res.json();
      } } } };
      const reply = await new AssistantAgent('assistant', { llmConfig: { client, model: 'm' } })
        .generateReply([{ role: 'user', content: 'hi' }]);
      const error = await new AssistantAgent('assistant', {
        llmConfig: { config_list: [{ model: 'm', api_key: 'sk-test', base_url: process.env.LLM }] },
      }).generateReply([{ role: 'user', content: 'hi' }]).catch((e) => e);
      console.log(JSON.stringify({ content: reply.content, name: error.name, code: error.code, message: error.message }));
    `;
    // Asynchronously: the local model server answers from this process.
    const run = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH, LLM: llm.baseURL },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(JSON.parse(run.stdout)).toEqual({
      content: 'hello without openai',
      name: 'AuthSecConfigError',
      code: 'ERR_AUTHSEC_CONFIG',
      message:
        'Invalid AuthSec configuration: llmConfig.config_list needs the openai package: run `npm install openai`, or pass llmConfig: { client, model }',
    });
  });

  it('declares openai as an optional peer, >=5 <7', async () => {
    const pkg = (await import('../package.json', { with: { type: 'json' } })).default as {
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
      dependencies: Record<string, string>;
    };
    expect(pkg.peerDependencies.openai).toBe('>=5 <7');
    expect(pkg.peerDependenciesMeta.openai?.optional).toBe(true);
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['@authsec/core', 'zod']);
  });
});

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type DownstreamRequest, DownstreamServer } from '@authsec/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;

/** A deterministic embedding (hashed bag of words), as OpenAI's base64 float32 encoding. */
function embed(text: string, encoding: unknown): string | number[] {
  const vector = new Array<number>(64).fill(0);
  for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    let h = 2166136261;
    for (const ch of word) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
    vector[(h >>> 0) % 64] = (vector[(h >>> 0) % 64] ?? 0) + 1;
  }
  const norm = Math.hypot(...vector) || 1;
  const unit = vector.map((v) => v / norm);
  return encoding === 'base64'
    ? Buffer.from(new Float32Array(unit).buffer).toString('base64')
    : unit;
}

function promptOf(request: DownstreamRequest): string {
  const { messages } = request.json as { messages: { content: unknown }[] };
  return messages
    .map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)))
    .join('\n');
}

/** A local stand-in for the OpenAI API: embeddings, and chat completions that answer from the context. */
let openai: DownstreamServer;

beforeAll(async () => {
  openai = await DownstreamServer.start({
    routes: {
      'POST /v1/embeddings': (req) => {
        const body = req.json as {
          input: string | string[];
          model: string;
          encoding_format?: string;
        };
        const inputs = Array.isArray(body.input) ? body.input : [body.input];
        return {
          body: {
            object: 'list',
            model: body.model,
            data: inputs.map((text, index) => ({
              object: 'embedding',
              index,
              embedding: embed(text, body.encoding_format),
            })),
            usage: { prompt_tokens: 1, total_tokens: 1 },
          },
        };
      },
      'POST /v1/chat/completions': (req) => {
        const answer = promptOf(req).includes('USD 4.2M')
          ? 'The Q2 revenue target is USD 4.2M.'
          : 'The records I was given do not say.';
        return {
          body: {
            id: `chatcmpl-${openai.requests.length}`,
            object: 'chat.completion',
            created: Math.floor(Date.now() / 1000),
            model: (req.json as { model: string }).model,
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: answer, refusal: null },
                finish_reason: 'stop',
                logprobs: null,
              },
            ],
            usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
          },
        };
      },
    },
  });
});

afterAll(async () => {
  await openai.close();
});

/** Runs the example without blocking the event loop, so the local OpenAI server can answer it. */
function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], {
      env: { PATH: process.env.PATH, NO_COLOR: '1', ...env },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, out }));
  });
}

describe('examples/llamaindex-rag and OpenAI', () => {
  it('stays offline when OPENAI_API_KEY is set but --openai is not passed', async () => {
    const before = openai.requests.length;
    const { status, out } = await run([], {
      OPENAI_API_KEY: 'sk-test-key',
      OPENAI_BASE_URL: `${openai.url}/v1`,
    });
    expect(status, out).toBe(0);
    expect(out).toContain('Mode: offline');
    expect(out).toContain(
      'Answer (extractive): The board approved a Q2 2026 revenue target of USD 4.2M',
    );
    expect(openai.requests.length).toBe(before);
    expect(out).not.toMatch(JWT);
  });

  it('exits 2 for --openai with a blank OPENAI_API_KEY, sending nothing', async () => {
    const before = openai.requests.length;
    const { status, out } = await run(['--openai'], {
      OPENAI_API_KEY: '  ',
      OPENAI_BASE_URL: `${openai.url}/v1`,
    });
    expect(status).toBe(2);
    expect(out).toContain('--openai needs OPENAI_API_KEY');
    expect(openai.requests.length).toBe(before);
  });

  it('embeds and answers with OpenAI, sending the LLM only cleared records and no security metadata', async () => {
    const { status, out } = await run(['--openai'], {
      OPENAI_API_KEY: 'sk-test-key',
      OPENAI_BASE_URL: `${openai.url}/v1`,
    });
    expect(status, out).toBe(0);
    expect(out).toContain('Mode: OpenAI embeddings and LLM (--openai)');
    expect(out).toContain(
      '[LlamaIndex Loader] Successfully ingested 6 document(s) from secure storage!',
    );
    expect(out).toContain('Answer (OpenAI): The Q2 revenue target is USD 4.2M.');
    expect(out).toContain('Answer (OpenAI): The records I was given do not say.');
    expect(out).toContain('a confidential caller gets no node above confidential');
    expect(out.trim().split('\n').at(-1)).toBe('[Demo] Done: every step did what it claims.');
    expect(out).not.toMatch(JWT);

    const embeddings = openai.requestsTo('/v1/embeddings');
    const chats = openai.requestsTo('/v1/chat/completions');
    expect(embeddings.length).toBeGreaterThan(0);
    expect(chats).toHaveLength(2);
    for (const request of [...embeddings, ...chats]) {
      expect(request.bearer).toBe('sk-test-key');
      // Security metadata never reaches OpenAI, neither in what is embedded nor in the prompt.
      expect(request.body).not.toContain('AuthSec AI Verified');
      expect(request.body).not.toMatch(/clearance_required|token_jti|spiffe_id|ingested_at/);
      expect(request.body).not.toMatch(JWT);
    }
    const [topSecret, confidential] = chats.map(promptOf);
    expect(topSecret).toContain('USD 4.2M');
    // The confidential caller's prompt holds no record above confidential.
    expect(confidential).not.toContain('USD 4.2M');
    expect(confidential).not.toContain('H2 priorities');
  });
});

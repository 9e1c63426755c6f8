// The seed's AutoGen flow in TypeScript: an assistant calls fetch_secure_data through a user proxy.
// Offline by default (a local OpenAI-compatible server plays the model); `--openai` uses OpenAI.

import { parseArgs } from 'node:util';
import {
  AssistantAgent,
  AuthSecClient,
  type ChatMessage,
  createFunctionMap,
  defineFunction,
  expandPath,
  isAuthSecError,
  type LlmConfig,
  type LogFormat,
  type LogLevel,
  UserProxyAgent,
} from '@authsec/autogen';
import { startDemoEnvironment } from '@authsec/demo-api';
import { OpenAITestServer, type ScriptedReply } from '@authsec/testing';
import { z } from 'zod';

const useOpenAI = process.argv.includes('--openai');
// `--log-level debug --log-format json` change the SDK's transcript (otherwise AUTHSEC_LOG_LEVEL,
// AUTHSEC_LOG_FORMAT, then warn and pretty); the client checks the values.
const { values: flags } = parseArgs({
  options: { 'log-level': { type: 'string' }, 'log-format': { type: 'string' } },
  strict: false,
});
const apiKey = process.env.OPENAI_API_KEY?.trim();
if (useOpenAI && !apiKey) {
  console.error(
    '--openai needs OPENAI_API_KEY: export it, or run without --openai to stay offline.',
  );
  process.exit(2);
}

// The seed's function, with the token handled by the context instead of by hand.
const fetchSecureData = defineFunction(
  {
    name: 'fetch_secure_data',
    description: 'Get a customer record (name, email, plan) by customer id.',
    parameters: z.object({ customer_id: z.string().describe('The customer id, e.g. "42".') }),
    scope: 'read:customers',
  },
  ({ customer_id }, { requestJson }) =>
    requestJson(expandPath('/customers/{id}', { id: customer_id })),
);

// The reader agent is not delegated billing:read, so this call is denied before any request.
const getBillingAccount = defineFunction(
  {
    name: 'get_billing_account',
    description: 'Get the billing account (balance, invoices) of a customer by id.',
    parameters: z.object({ customer_id: z.string() }),
    scope: 'billing:read',
  },
  ({ customer_id }, { requestJson }) =>
    requestJson(expandPath('/billing/customers/{id}', { id: customer_id })),
);

// The offline model: decides from the tool results it was handed, like a real one would.
function scriptedModel(request: { messages: readonly Record<string, unknown>[] }): ScriptedReply {
  const results = request.messages
    .filter((m) => m.role === 'tool')
    .map((m) => JSON.parse(String(m.content)) as Record<string, unknown>);
  if (results.length === 0) {
    return { toolCalls: [{ name: 'fetch_secure_data', arguments: { customer_id: '42' } }] };
  }
  if (results.length === 1) {
    return { toolCalls: [{ name: 'get_billing_account', arguments: { customer_id: '42' } }] };
  }
  const [customer, billing] = results;
  const denied =
    typeof billing?.requiredScope === 'string'
      ? `not available to me: the delegation lacks ${billing.requiredScope}`
      : 'available';
  return {
    content: `Customer 42 is ${String(customer?.name)}. Their billing account is ${denied}. TERMINATE`,
  };
}

function describeResult(content: string): string {
  try {
    const value = JSON.parse(content) as Record<string, unknown>;
    if (typeof value.code === 'string') {
      const scope =
        typeof value.requiredScope === 'string' ? ` (needs ${value.requiredScope})` : '';
      return `error ${value.name} ${value.code}${scope}`;
    }
    return `ok ${content.length > 120 ? `${content.slice(0, 117)}...` : content}`;
  } catch {
    return `text ${content.slice(0, 120)}`;
  }
}

async function main(): Promise<number> {
  const demo = await startDemoEnvironment();
  const llm = useOpenAI ? undefined : await OpenAITestServer.start({ replies: scriptedModel });
  const authsec = new AuthSecClient({
    baseUrl: demo.authsec.url,
    clientId: demo.agents.reader.agent.clientId,
    downstreamUrl: demo.api.url,
    logLevel: flags['log-level'] as LogLevel | undefined,
    logFormat: flags['log-format'] as LogFormat | undefined,
  });
  try {
    console.log(`AuthSec (local) ${demo.authsec.url}, protected API ${demo.api.url}`);
    console.log('Agent: reader (read:records, read:metrics, read:customers)');
    console.log(
      useOpenAI
        ? `Model: OpenAI (--openai${process.env.OPENAI_BASE_URL?.trim() ? ', at OPENAI_BASE_URL' : ''})`
        : `Model: local OpenAI-compatible server ${llm?.url} (offline)`,
    );

    const llmConfig: LlmConfig = useOpenAI
      ? {
          config_list: [
            { model: process.env.OPENAI_MODEL?.trim() || 'gpt-4o-mini', api_key: apiKey ?? '' },
          ],
        }
      : { config_list: [{ model: 'scripted', api_key: 'sk-local', base_url: llm?.baseURL ?? '' }] };
    const assistant = new AssistantAgent('assistant', { llmConfig });
    const userProxy = new UserProxyAgent('user_proxy', {
      humanInputMode: 'NEVER',
      functionMap: createFunctionMap([fetchSecureData, getBillingAccount], { client: authsec }),
    });
    const { chatHistory, summary, terminationReason } = await userProxy.initiateChat(assistant, {
      message: 'Get data for customer 42, then their billing account.',
    });

    printTranscript(chatHistory);
    console.log(`Chat ended: ${terminationReason}`);
    if (useOpenAI) {
      console.log(`Done: the model answered: ${summary}`);
      return 0;
    }
    const results = chatHistory.flatMap((m) => (m.role === 'tool' ? [m.content] : []));
    const succeeded = results.some((c) => (JSON.parse(c) as { id?: string }).id === '42');
    const denied = results.some(
      (c) => (JSON.parse(c) as { requiredScope?: string }).requiredScope === 'billing:read',
    );
    const billingRequests = demo.api.requests.filter((r) => r.path.startsWith('/billing/')).length;
    if (
      !succeeded ||
      !denied ||
      billingRequests !== 0 ||
      terminationReason !== 'terminate_message'
    ) {
      console.error('The run did not do what it should: see the transcript above.');
      return 1;
    }
    console.log(
      'Done: fetch_secure_data succeeded; the billing:read denial went back to the model, and no billing request was sent.',
    );
    return 0;
  } finally {
    await authsec.close();
    await llm?.close();
    await demo.close();
  }
}

function printTranscript(history: readonly ChatMessage[]): void {
  for (const message of history) {
    if (message.role === 'user') console.log(`user_proxy → assistant: ${message.content}`);
    if (message.role === 'assistant') {
      for (const call of message.tool_calls ?? []) {
        console.log(`assistant calls ${call.function?.name}(${call.function?.arguments})`);
      }
      if (message.content) console.log(`assistant: ${message.content}`);
    }
    if (message.role === 'tool') console.log(`  result: ${describeResult(message.content)}`);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // AuthSec errors print safely (no token); anything else by name and message only.
    console.error(
      isAuthSecError(error) ? String(error) : `Failed: ${(error as Error)?.message ?? error}`,
    );
    process.exit(1);
  },
);

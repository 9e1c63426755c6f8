// A LangChain.js agent whose tools call a protected API with AuthSec delegation tokens (offline by default).

import { parseArgs } from 'node:util';
import { startDemoEnvironment } from '@authsec/demo-api';
import {
  AuthSecClient,
  createAuthSecRequestTool,
  createAuthSecTool,
  expandPath,
  isAuthSecError,
  isFatalAuthSecError,
  type LogFormat,
  type LogLevel,
} from '@authsec/langchain';
import { authsecMiddleware } from '@authsec/langchain/middleware';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, type BaseMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { createAgent } from 'langchain';
import { z } from 'zod';

const useOpenAI = process.argv.includes('--openai');
// `--log-level debug --log-format json` show the SDK's transcript (silent by default); the client
// checks the values.
const { values: flags } = parseArgs({
  options: { 'log-level': { type: 'string' }, 'log-format': { type: 'string' } },
  strict: false,
});
if (useOpenAI && !process.env.OPENAI_API_KEY?.trim()) {
  console.error(
    '--openai needs OPENAI_API_KEY: set it, or run without --openai (offline, scripted).',
  );
  process.exit(2);
}

// The local AuthSec server and protected API. revocationCacheSeconds: 0 makes a revocation
// show on the very next request, so the last step does not wait 10 s.
const demo = await startDemoEnvironment({ api: { revocationCacheSeconds: 0 } });
const billingAgent = demo.agents.billing; // billing:read, read:customers
const authsec = new AuthSecClient({
  baseUrl: demo.authsec.url,
  clientId: billingAgent.agent.clientId,
  downstreamUrl: demo.api.url,
  logLevel: (flags['log-level'] as LogLevel | undefined) ?? 'silent',
  logFormat: flags['log-format'] as LogFormat | undefined,
});

// The seed's tool: the token is attached by the context, never seen by the tool.
const getCustomerBilling = createAuthSecTool(
  async ({ customer_id }, { requestJson }) =>
    requestJson(expandPath('/billing/customers/{id}', { id: customer_id })),
  {
    name: 'get_customer_billing',
    description: 'Get billing details for a customer by their ID.',
    schema: z.object({ customer_id: z.string().describe('The customer ID, e.g. "42"') }),
    scope: 'billing:read',
    client: authsec,
  },
);
// Declarative tools: one GET each.
const getCustomer = createAuthSecRequestTool({
  name: 'get_customer',
  description: 'Look up a customer (name, email, plan) by ID.',
  schema: z.object({ id: z.string().describe('The customer ID') }),
  path: '/customers/{id}',
  scope: 'read:customers',
  client: authsec,
});
const listVaultRecords = createAuthSecRequestTool({
  name: 'list_vault_records',
  description: 'List the records of the secure vault.',
  schema: z.object({}),
  path: '/secure-vault/records',
  scope: 'read:records',
  client: authsec,
});
const tools = [getCustomerBilling, getCustomer, listVaultRecords];

let failures = 0;
const pass = (line: string) => console.log(`✓ ${line}`);
const fail = (line: string) => {
  failures += 1;
  console.log(`✗ ${line}`);
};

try {
  console.log(
    `AuthSec test server ${demo.authsec.url}, protected API ${demo.api.url}; agent "billing" (billing:read, read:customers).`,
  );
  if (useOpenAI) await runWithOpenAI();
  else await runOffline();
} catch (error) {
  fail(`unexpected failure: ${isAuthSecError(error) ? String(error) : (error as Error).message}`);
} finally {
  await authsec.close();
  await demo.close();
}
console.log(failures === 0 ? 'All steps passed.' : `${failures} step(s) failed.`);
process.exitCode = failures === 0 ? 0 : 1;

async function runOffline(): Promise<void> {
  console.log(
    'Model: a scripted model from @langchain/core/testing (pass --openai for ChatOpenAI).',
  );
  // Step 1 and 2: success, then a scope the delegation does not carry.
  const model = fakeModel()
    .respondWithTools([{ name: 'get_customer_billing', args: { customer_id: '42' }, id: 'call_1' }])
    .respondWithTools([{ name: 'get_customer', args: { id: '42' }, id: 'call_2' }])
    .respondWithTools([{ name: 'list_vault_records', args: {}, id: 'call_3' }])
    .respond(new AIMessage('Customer 42 has the balance above; I may not read the vault.'));
  const agent = createAgent({ model, tools, middleware: [authsecMiddleware()] });
  const { messages } = await agent.invoke({
    messages: [
      new HumanMessage('What does customer 42 owe, who are they, and what is in the vault?'),
    ],
  });
  const results = toolResults(messages);

  const bill = parse(results.get('call_1'));
  if (bill?.customer_id === '42' && Array.isArray(bill.invoices)) {
    pass(
      `get_customer_billing(42): balance ${(bill.balance_cents / 100).toFixed(2)} ${bill.currency}, ${bill.invoices.length} invoice(s)`,
    );
  } else fail(`get_customer_billing(42) returned ${results.get('call_1')}`);

  const customer = parse(results.get('call_2'));
  if (customer?.id === '42' || customer?.id === 42)
    pass(`get_customer(42): ${customer.name} (${customer.plan} plan)`);
  else fail(`get_customer(42) returned ${results.get('call_2')}`);

  const denied = parse(results.get('call_3'))?.error;
  if (denied?.code === 'ERR_AUTHSEC_FORBIDDEN' && denied.requiredScope === 'read:records') {
    pass(
      `list_vault_records: denied before any request; the model was told ${denied.code} (needs ${denied.requiredScope})`,
    );
  } else fail(`list_vault_records returned ${results.get('call_3')}`);
  checkHistory(messages);

  // Step 3: an admin revokes the agent while the run is going on.
  const revoking = fakeModel()
    .respondWithTools([{ name: 'get_customer_billing', args: { customer_id: '7' }, id: 'call_4' }])
    .respond(() => {
      demo.authsec.revoke(billingAgent.agent.clientId);
      console.log("  (an admin revokes the agent's delegation mid-run)");
      return new AIMessage({
        content: '',
        tool_calls: [{ name: 'get_customer_billing', args: { customer_id: '7' }, id: 'call_5' }],
      });
    })
    .respond(new AIMessage('This answer must never be produced.'));
  const second = createAgent({ model: revoking, tools, middleware: [authsecMiddleware()] });
  try {
    await second.invoke({ messages: [new HumanMessage('Check customer 7 twice.')] });
    fail('the run went on after the delegation was revoked');
  } catch (error) {
    if (isFatalAuthSecError(error) && isAuthSecError(error)) {
      pass(`revoked mid-run: the run stopped with ${error.name} (${error.code})`);
    } else throw error;
  }
}

async function runWithOpenAI(): Promise<void> {
  const { ChatOpenAI } = await import('@langchain/openai');
  const modelName = process.env.OPENAI_MODEL?.trim() || 'gpt-4o-mini';
  console.log(`Model: ChatOpenAI (${modelName}).`);
  const model: BaseChatModel = new ChatOpenAI({ model: modelName, temperature: 0 });
  const agent = createAgent({ model, tools, middleware: [authsecMiddleware()] });
  const { messages } = await agent.invoke({
    messages: [
      new HumanMessage(
        'What does customer 42 owe, who are they, and list the secure vault records. Be brief.',
      ),
    ],
  });
  const denied = [...toolResults(messages).values()].some((r) =>
    r.includes('ERR_AUTHSEC_FORBIDDEN'),
  );
  pass(`the model answered: ${String(messages.at(-1)?.content).slice(0, 300)}`);
  checkHistory(messages);
  console.log(
    `  (scope denial returned to the model: ${denied ? 'yes' : 'it did not call list_vault_records'})`,
  );
  demo.authsec.revoke(billingAgent.agent.clientId);
  try {
    await agent.invoke({ messages: [new HumanMessage('What does customer 7 owe?')] });
    fail('the run went on after the delegation was revoked');
  } catch (error) {
    if (isFatalAuthSecError(error) && isAuthSecError(error)) {
      pass(`after revocation the run stopped with ${error.name} (${error.code})`);
    } else throw error;
  }
}

/** The whole message history, as the model saw it, must hold no token. */
function checkHistory(messages: BaseMessage[]): void {
  const history = JSON.stringify(messages);
  const leaked =
    history.includes(billingAgent.delegation.token) || /eyJ[\w-]+\.[\w-]+\.[\w-]+/.test(history);
  if (leaked) fail('a token is in the message history');
  else pass(`no token in the message history (${messages.length} messages)`);
}

/** Tool results by tool-call id. */
function toolResults(messages: BaseMessage[]): Map<string, string> {
  return new Map(
    messages.filter(ToolMessage.isInstance).map((m) => [m.tool_call_id, String(m.content)]),
  );
}

// biome-ignore lint/suspicious/noExplicitAny: model-visible JSON of several shapes, checked field by field
function parse(text: string | undefined): any {
  try {
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

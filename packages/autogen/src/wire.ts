// The subset of OpenAI's chat-completions wire format this package reads and writes.

/**
 * One tool call of an assistant message. OpenAI sends `arguments` as JSON text; some clients hand
 * over the parsed object, which is accepted too. Loose enough that the `openai` client's
 * `message.tool_calls` (custom tool calls included) fit as is.
 */
export interface ToolCall {
  id: string;
  type: 'function' | (string & {});
  function?: { name: string; arguments: string | Record<string, unknown> };
}

/** A chat message in OpenAI's format. */
export type ChatMessage =
  | { role: 'system'; content: string; name?: string }
  | { role: 'user'; content: string; name?: string }
  | {
      role: 'assistant';
      content: string | null;
      name?: string;
      tool_calls?: ToolCall[];
      refusal?: string | null;
    }
  | ToolMessage;

/** The answer to one tool call: exactly one per `tool_call_id`. */
export interface ToolMessage {
  role: 'tool';
  tool_call_id: string;
  content: string;
}

/** An OpenAI function-tool definition, as passed in `tools`. */
export interface FunctionToolDefinition {
  type: 'function';
  function: {
    name: string;
    description: string;
    /** JSON Schema of the arguments object. */
    parameters: Record<string, unknown>;
  };
}

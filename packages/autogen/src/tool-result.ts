// Turns function results and model-fixable failures into the text of a `tool` message.

import { type AuthSecErrorJSON, isAuthSecError, redact } from '@authsec/core';

/** The JSON a model receives for a failed call: the shape of an AuthSec error's `toJSON()`. */
export interface ToolErrorJSON {
  name: string;
  code: string;
  message: string;
  hint?: string;
  status?: number;
  /** Validation problems, as `path: message`. */
  issues?: string[];
}

/** Codes of the failures this package reports itself (AuthSec errors keep their own codes). */
export type AutoGenErrorCode =
  | 'ERR_AUTOGEN_UNKNOWN_FUNCTION'
  | 'ERR_AUTOGEN_INVALID_JSON'
  | 'ERR_AUTOGEN_INVALID_ARGUMENTS'
  | 'ERR_AUTOGEN_FUNCTION_FAILED';

/**
 * A failure the model can fix by calling again differently: an unknown function, arguments that
 * are not JSON or fail the schema. Its `toJSON()` is what the model sees.
 * @example
 * ```ts
 * const content = JSON.parse(toolMessage.content);
 * if (content.code === 'ERR_AUTOGEN_INVALID_ARGUMENTS') console.warn(content.issues);
 * ```
 */
export class FunctionCallError extends Error {
  /** A stable code such as `ERR_AUTOGEN_INVALID_ARGUMENTS`. */
  readonly code: AutoGenErrorCode;
  /** What to change in the next call. */
  readonly hint: string | undefined;
  /** Validation problems, as `path: message`. */
  readonly issues: readonly string[];

  /**
   * Creates the error; executeToolCalls and mapped functions hand its `toJSON()` to the model.
   * @param code - the stable code
   * @param message - what was wrong, then what to do
   * @param options - `hint` and validation `issues`
   */
  constructor(
    code: AutoGenErrorCode,
    message: string,
    options: { hint?: string; issues?: readonly string[] } = {},
  ) {
    super(message);
    this.name = 'FunctionCallError';
    this.code = code;
    this.hint = options.hint;
    this.issues = options.issues ?? [];
  }

  /** `{ name, code, message, hint?, issues? }`: safe to hand to a model. */
  toJSON(): ToolErrorJSON {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(this.hint !== undefined && { hint: this.hint }),
      ...(this.issues.length > 0 && { issues: [...this.issues] }),
    };
  }
}

/**
 * The model-safe JSON of any non-fatal failure: AuthSec errors and {@link FunctionCallError} give
 * their own `toJSON()`; a `TypeError`/`RangeError` (such as `expandPath`'s) keeps its message;
 * anything else says only that the function failed, because its message may hold anything.
 * @param error - what a function threw
 * @returns JSON for the tool message
 */
export function toToolError(error: unknown): ToolErrorJSON | AuthSecErrorJSON {
  if (isAuthSecError(error) || error instanceof FunctionCallError) return error.toJSON();
  if (error instanceof TypeError || error instanceof RangeError) {
    return { name: error.name, code: 'ERR_AUTOGEN_INVALID_ARGUMENTS', message: error.message };
  }
  return {
    name: 'Error',
    code: 'ERR_AUTOGEN_FUNCTION_FAILED',
    message: 'The function failed. Try again later or tell the user it is unavailable.',
  };
}

/**
 * The text of a `tool` message: strings as they are, anything else as JSON, cut to `maxChars`,
 * and passed through core's redaction so a JWT-shaped string never reaches the model.
 * @param value - the function's result, or an error's JSON
 * @param maxChars - the longest content kept
 * @returns the content
 */
export function toToolContent(value: unknown, maxChars: number): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (value === undefined) text = '{"ok":true}';
  else text = JSON.stringify(value) ?? String(value);
  text = String(redact(text));
  if (text.length <= maxChars) return text;
  const marker = `… [truncated ${text.length - maxChars} characters]`;
  return `${text.slice(0, Math.max(0, maxChars - marker.length))}${marker}`;
}

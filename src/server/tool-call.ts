/**
 * One tools/call: validate the arguments, run the upstream request through the upstream's guard,
 * and turn the outcome into an MCP result. Failures are results with `isError: true`, a one-line
 * message, and `structuredContent.error` in the shared error vocabulary.
 */
import { InvalidArgumentsError, isShieldError } from '../breaker/errors.js';
import type { CircuitSummary, ShieldErrorJSON } from '../breaker/errors.js';
import type { Guard } from '../breaker/types.js';
import type { CallOutcome } from './metrics.js';
import type { Tool } from './tools.js';
import type { Upstream } from './upstream.js';

export interface ToolCallResult {
  content: Array<{ type: 'text'; text: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: true;
}

export interface ToolCallOutcome {
  result: ToolCallResult;
  outcome: CallOutcome;
  /** Set for failures the operator should see in the logs. */
  error?: ShieldErrorJSON;
}

/** Thrown when the caller cancelled or went away: there is nobody to answer. */
export class CallCancelledError extends Error {
  override name = 'CallCancelledError';
}

function summary(guard: Guard): CircuitSummary {
  const { state, fail_counter } = guard.snapshot();
  return { state, fail_counter };
}

export function errorResult(json: ShieldErrorJSON): ToolCallResult {
  const reason = json.reason ? ` (${json.reason})` : '';
  return {
    content: [{ type: 'text', text: `${json.type}${reason}: ${json.message}` }],
    structuredContent: { error: json },
    isError: true,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export async function callTool(
  tool: Tool,
  rawArgs: unknown,
  guard: Guard,
  upstream: Upstream,
  signal: AbortSignal,
): Promise<ToolCallOutcome> {
  const validated = tool.validate(rawArgs);
  if (!validated.ok) {
    const error = new InvalidArgumentsError(`invalid arguments for ${tool.config.name}: ${validated.message}`, {
      upstream: upstream.name,
      circuit: summary(guard),
    });
    return { result: errorResult(error.toJSON()), outcome: 'invalid_arguments' };
  }
  try {
    const answer = await guard.execute((upstreamSignal) => upstream.call(tool.config, validated.value, upstreamSignal), {
      signal,
    });
    const result: ToolCallResult = { content: [{ type: 'text', text: answer.text }] };
    if (isRecord(answer.body)) result.structuredContent = answer.body;
    return { result, outcome: 'success' };
  } catch (error) {
    if (signal.aborted) {
      throw signal.reason instanceof CallCancelledError ? signal.reason : new CallCancelledError('the caller cancelled the call');
    }
    if (!isShieldError(error)) throw error;
    const json = error.toJSON();
    json.upstream ??= upstream.name;
    json.circuit ??= summary(guard);
    return { result: errorResult(json), outcome: error.type as CallOutcome, error: json };
  }
}

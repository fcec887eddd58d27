/**
 * One tools/call: validate the arguments, answer an open circuit at once, otherwise run the upstream
 * request through the upstream's guard; and turn the outcome into a serialized MCP result. Failures are results with `isError: true`, a one-line
 * message, and `structuredContent.error` in the shared error vocabulary.
 */
import { CircuitBreakerError, InvalidArgumentsError, isShieldError } from '../breaker/errors.js';
import type { CircuitSummary, ShieldError, ShieldErrorJSON } from '../breaker/errors.js';
import type { Guard } from '../breaker/types.js';
import { isRecord } from '../common/is-record.js';
import type { CallOutcome } from './metrics.js';
import type { Tool } from './tools.js';
import type { Upstream } from './upstream.js';

interface ToolCallResult {
  content: Array<{ type: 'text'; text: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: true;
}

export interface ToolCallOutcome {
  /** The MCP result, serialized: the server writes it into its reply as it is. */
  resultJson: string;
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

function errorResult(json: ShieldErrorJSON): ToolCallResult {
  const reason = json.reason ? ` (${json.reason})` : '';
  return {
    content: [{ type: 'text', text: `${json.type}${reason}: ${json.message}` }],
    structuredContent: { error: json },
    isError: true,
  };
}

/**
 * An open circuit gives every caller the same result until its retry time ticks down by a
 * millisecond, so each distinct rejection is serialized once, not once per call: serializing it
 * per call was the largest single cost of a fast-fail over HTTP (docs/benchmarks.md, server).
 * The key holds everything the result is made of; the map is cleared rather than grown.
 */
const renderedRejections = new Map<string, string>();
const MAX_RENDERED_REJECTIONS = 256;

function renderRejection(error: CircuitBreakerError, upstream: string, guard: Guard): string {
  const circuit = error.circuit ?? summary(guard);
  const key = `${error.upstream ?? upstream}\u0000${circuit.state}\u0000${circuit.fail_counter}\u0000${Math.max(0, Math.ceil(error.retryAfterMs))}`;
  let rendered = renderedRejections.get(key);
  if (rendered === undefined) {
    if (renderedRejections.size >= MAX_RENDERED_REJECTIONS) renderedRejections.clear();
    rendered = JSON.stringify(errorResult(errorJson(error, upstream, guard)));
    renderedRejections.set(key, rendered);
  }
  return rendered;
}

function errorJson(error: ShieldError, upstream: string, guard: Guard): ShieldErrorJSON {
  const json = error.toJSON();
  json.upstream ??= upstream;
  json.circuit ??= summary(guard);
  return json;
}

/** A call that is settled before the upstream (invalid arguments, an open circuit), or its validated arguments. */
export type PreparedCall = { settled: ToolCallOutcome } | { args: Record<string, unknown> };

/**
 * Everything a call needs before the upstream, done synchronously: a fast-fail is answered without
 * a promise, an abort signal or an in-flight entry, which is most of what it would otherwise cost.
 */
export function prepareCall(tool: Tool, rawArgs: unknown, guard: Guard, upstream: string): PreparedCall {
  const validated = tool.validate(rawArgs);
  if (!validated.ok) {
    const error = new InvalidArgumentsError(`invalid arguments for ${tool.config.name}: ${validated.message}`, {
      upstream,
      circuit: summary(guard),
    });
    return { settled: { resultJson: JSON.stringify(errorResult(error.toJSON())), outcome: 'invalid_arguments' } };
  }
  const rejection = guard.rejectNow();
  if (rejection) return { settled: { resultJson: renderRejection(rejection, upstream, guard), outcome: 'circuit_breaker_error' } };
  return { args: validated.value };
}

/**
 * Runs a prepared call through the guard to the upstream on the caller's controller (the guard aborts
 * it on the deadline); throws CallCancelledError when the caller aborted it with one.
 */
export async function callUpstream(
  tool: Tool,
  args: Record<string, unknown>,
  guard: Guard,
  upstream: Upstream,
  controller: AbortController,
): Promise<ToolCallOutcome> {
  try {
    const answer = await guard.execute((upstreamSignal) => upstream.call(tool.config, args, upstreamSignal), { controller });
    // The upstream's JSON object becomes structuredContent as it came: serializing the parsed copy
    // again would cost as much as parsing it did, for the same text.
    const structured = isRecord(answer.body) ? `,"structuredContent":${answer.json}` : '';
    return { resultJson: `{"content":[{"type":"text","text":${JSON.stringify(answer.text)}}]${structured}}`, outcome: 'success' };
  } catch (error) {
    if (controller.signal.reason instanceof CallCancelledError) throw controller.signal.reason;
    if (error instanceof CircuitBreakerError) {
      return { resultJson: renderRejection(error, upstream.name, guard), outcome: 'circuit_breaker_error' };
    }
    if (!isShieldError(error)) throw error;
    const json = errorJson(error, upstream.name, guard);
    return { resultJson: JSON.stringify(errorResult(json)), outcome: error.type as CallOutcome, error: json };
  }
}

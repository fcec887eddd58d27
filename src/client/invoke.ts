/**
 * One tool call for `shield invoke` (the plan's `invoke_mcp_tool.py`): connect, call, classify,
 * and say which tools exist when the one asked for does not.
 */
import { formatDuration } from '../common/duration.js';
import { connectForCommand, requireTool } from './command-connect.js';
import type { ConnectOptions } from './mcp-client.js';
import { resultText, type CallOutcome } from './outcome.js';

export interface Invocation {
  outcome: CallOutcome;
  /** The call alone, ms. */
  callMs: number;
  /** Connecting (handshake) and the call, ms. */
  totalMs: number;
}

/** Calls a tool once; a missing tool is a UsageError naming the tools the server offers. */
export async function invokeTool(
  url: URL,
  tool: string,
  args: Record<string, unknown>,
  options: ConnectOptions & { callTimeoutMs: number },
): Promise<Invocation> {
  const started = performance.now();
  const client = await connectForCommand(url, options);
  try {
    const callStarted = performance.now();
    const outcome = await client.callTool(tool, args, { timeoutMs: options.callTimeoutMs });
    const callMs = performance.now() - callStarted;
    if (outcome.outcome === 'tool_error' || outcome.outcome === 'protocol_error') await requireTool(client, tool).catch(rethrowUsage);
    return { outcome, callMs, totalMs: performance.now() - started };
  } finally {
    await client.close();
  }
}

function rethrowUsage(error: unknown): void {
  if (error instanceof Error && error.name === 'UsageError') throw error;
  // tools/list itself failed: the call's own outcome says enough.
}

/** What `shield invoke` prints: the result text, or the error type, reason and circuit; then the time taken. */
export function formatInvocation({ outcome, callMs, totalMs }: Invocation): string {
  const lines: string[] = [];
  if (outcome.outcome === 'success') {
    const text = outcome.result ? resultText(outcome.result) : undefined;
    lines.push(text ?? JSON.stringify(outcome.result?.structuredContent ?? outcome.result?.content ?? null, null, 2));
  } else {
    const reason = outcome.error?.reason ? ` (${outcome.error.reason})` : '';
    lines.push(`error: ${outcome.outcome}${reason}: ${outcome.message ?? ''}`);
    const circuit = outcome.error?.circuit;
    if (circuit) lines.push(`circuit: ${circuit.state}, fail_counter ${circuit.fail_counter}${outcome.error?.upstream ? ` (${outcome.error.upstream})` : ''}`);
    if (outcome.error?.retry_after_ms !== undefined) lines.push(`retry after: ${formatDuration(outcome.error.retry_after_ms)}`);
  }
  lines.push(`elapsed: ${formatDuration(callMs)} (${formatDuration(totalMs)} with connecting)`);
  return lines.join('\n');
}

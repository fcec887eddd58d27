/**
 * How one tool call ended, classified by the error vocabulary of `src/breaker/errors.ts`. A tool
 * failure is a result with `isError: true`; Shield adds `structuredContent.error` ({type, reason,
 * ...}); other servers give only text, which classifies as `tool_error`.
 */
import type { ErrorType, ShieldErrorJSON } from '../breaker/errors.js';
import type { OutcomeClass } from '../report/load-report.js';

export interface ToolResult {
  content?: Array<{ type: string; text?: string; [key: string]: unknown }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
  [key: string]: unknown;
}

export interface CallOutcome {
  outcome: OutcomeClass;
  /** The tool's result when the server answered with one (success or tool error). */
  result?: ToolResult;
  /** `structuredContent.error` when the server speaks the vocabulary. */
  error?: Partial<ShieldErrorJSON>;
  /** For every outcome but success: what went wrong, in one line. */
  message?: string;
  /** A JSON-RPC error answer. */
  rpcError?: { code: number; message: string; data?: unknown };
  /** HTTP status when the server answered with a non-2xx status. */
  httpStatus?: number;
}

const VOCABULARY: ReadonlySet<string> = new Set<ErrorType>([
  'orchestrator_error',
  'circuit_breaker_error',
  'overloaded',
  'invalid_arguments',
]);

/** Classifies a `tools/call` result. */
export function classifyResult(result: ToolResult): CallOutcome {
  if (result.isError !== true) return { outcome: 'success', result };
  const error = readVocabularyError(result.structuredContent);
  const message = error?.message ?? resultText(result) ?? 'the tool reported an error';
  if (error?.type !== undefined && VOCABULARY.has(error.type)) {
    return { outcome: error.type, result, error, message };
  }
  return { outcome: 'tool_error', result, message };
}

/** The text blocks of a result joined, or undefined when there are none. */
export function resultText(result: ToolResult): string | undefined {
  const texts = (result.content ?? []).filter((block) => block.type === 'text' && typeof block.text === 'string');
  return texts.length > 0 ? texts.map((block) => block.text).join('\n') : undefined;
}

function readVocabularyError(structured: Record<string, unknown> | undefined): Partial<ShieldErrorJSON> | undefined {
  const error = structured?.error;
  if (typeof error !== 'object' || error === null) return undefined;
  const type = (error as { type?: unknown }).type;
  return typeof type === 'string' ? (error as Partial<ShieldErrorJSON>) : undefined;
}

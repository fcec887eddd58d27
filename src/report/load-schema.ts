/**
 * The load report's schema (`shield-load-report/1`) as zod, checked against the TypeScript type at
 * compile time: reading a report file validates it, and `loadReportJsonSchema()` gives the JSON
 * Schema for other tools.
 */
import * as z from 'zod';
import { LOAD_REPORT_SCHEMA, OUTCOME_CLASSES, type LoadReport, type OutcomeClass } from './load-report.js';

const integer = z.number().int();
const count = integer.min(0);
const ms = z.number().min(0);
const state = z.enum(['closed', 'open', 'half_open']);
const outcomeClass = z.enum(OUTCOME_CLASSES as [OutcomeClass, ...OutcomeClass[]]);

const percentiles = z.strictObject({
  count,
  min: count,
  mean: count,
  p50: count,
  p90: count,
  p95: count,
  p99: count,
  p99_9: count,
  max: count,
});

const distribution = z.object({ latency_us: percentiles, histogram: z.string() });

const outcomeStats = distribution.extend({ count, reasons: z.record(z.string(), count).optional() });

const seriesPoint = z.object({
  t_s: count,
  warmup: z.boolean(),
  calls: count,
  throughput_rps: z.number().min(0),
  outcomes: z.partialRecord(outcomeClass, count),
  latency_us: percentiles.pick({ p50: true, p90: true, p95: true, p99: true, max: true }).nullable(),
  in_flight: count,
  late: count,
  dropped: count,
  cpu_percent: z.number().min(0),
});

const segment = z.object({ start_ms: ms, end_ms: ms, state: z.union([state, z.literal('unknown')]) });

const upstreamTimeline = z.object({
  segments: z.array(segment),
  first_open_ms: ms.nullable(),
  max_fail_counter: count,
  fail_max: count.nullable(),
  reset_timeout_s: z.number().min(0).nullable(),
});

export const loadReportSchema = z.object({
  schema: z.literal(LOAD_REPORT_SCHEMA),
  generator_version: z.string(),
  started_at: z.iso.datetime(),
  finished_at: z.iso.datetime(),
  elapsed_ms: ms,
  stop_reason: z.enum(['completed', 'aborted', 'unreachable']),
  merged_runs: integer.min(1),
  config: z.object({
    server: z.url(),
    tool: z.string().min(1),
    args: z.record(z.string(), z.unknown()),
    model: z.enum(['closed', 'open']),
    concurrency: integer.min(1),
    rate: z.number().positive().nullable(),
    duration_ms: ms.nullable(),
    requests: integer.min(1).nullable(),
    ramp_ms: ms,
    warmup_ms: ms,
    timeout_ms: ms,
    sessions: z.enum(['per-worker', 'shared']),
    health_url: z.url().nullable(),
    health_interval_ms: ms,
    orchestrator_down: z.boolean(),
    chaos_url: z.string().nullable(),
    expectations: z.array(z.string()),
    protocol_version: z.string(),
    server_info: z.object({ name: z.string(), version: z.string() }).nullable(),
  }),
  totals: z.object({
    calls: count,
    succeeded: count,
    failed: count,
    error_rate: z.number().min(0).max(1),
    throughput_rps: z.number().min(0),
    warmup_calls: count,
    late: count,
    dropped: count,
    cancelled_at_end: count,
    measured_ms: ms,
  }),
  latency: distribution,
  outcomes: z.partialRecord(outcomeClass, outcomeStats),
  series: z.array(seriesPoint),
  circuit: z.object({
    health_url: z.url().nullable(),
    polls: count,
    poll_errors: count,
    upstreams: z.record(z.string(), upstreamTimeline),
    first_open_ms: ms.nullable(),
    first_open_source: z.enum(['health', 'call']).nullable(),
    calls_after_open: count,
    fast_fails_after_open: count,
    fast_fail: distribution.nullable(),
  }),
  generator: z.object({
    cpu_user_ms: count,
    cpu_system_ms: count,
    cpu_percent: z.number().min(0),
    cpu_peak_percent: z.number().min(0),
    rss_peak_bytes: count,
    rss_end_bytes: count,
    heap_used_peak_bytes: count,
    event_loop_delay_p99_ms: z.number().min(0),
    saturated: z.boolean(),
  }),
  expectations: z.array(
    z.object({
      source: z.enum(['expect-success', 'expect-circuit-open', 'threshold']),
      expression: z.string(),
      measured: z.number().nullable(),
      measured_text: z.string(),
      passed: z.boolean(),
    }),
  ),
  passed: z.boolean(),
  warnings: z.array(z.string()),
});

// The schema and the type must describe the same document: each must be assignable to the other.
type Parsed = z.infer<typeof loadReportSchema>;
const typeFitsSchema = (report: LoadReport): Parsed => report;
const schemaFitsType = (parsed: Parsed): LoadReport => parsed;
void typeFitsSchema;
void schemaFitsType;

/** A parse failure as one line per problem, each naming the field's path. */
function describeSchemaIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/** Validates a parsed JSON document as a load report; throws an Error naming the first problems. */
export function parseLoadReport(value: unknown, source = 'load report'): LoadReport {
  const result = loadReportSchema.safeParse(value);
  if (!result.success) {
    const version = (value as { schema?: unknown } | null)?.schema;
    const hint = typeof version === 'string' && version !== LOAD_REPORT_SCHEMA ? ` (it says schema ${version}; this shield reads ${LOAD_REPORT_SCHEMA})` : '';
    throw new Error(`${source} is not a valid ${LOAD_REPORT_SCHEMA} report${hint}: ${describeSchemaIssues(result.error)}`);
  }
  return result.data;
}

/** The JSON Schema of the report, for tools outside this project. */
export function loadReportJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(loadReportSchema, { target: 'draft-2020-12' }) as Record<string, unknown>;
}

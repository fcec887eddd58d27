/**
 * Makes the plan's tool calls through the MCP client and keeps each one as a record: when it was
 * sent, how long it took (integer µs), how it ended and why. All times are relative to the run's
 * start, so the calls line up with the circuit timeline in the charts.
 */
import { connect } from '../client/index.js';
import type { McpClient } from '../client/index.js';
import type { CallPoint } from '../report/chart.js';
import { PLAN } from './plan.js';

export interface CallRecord extends CallPoint {
  /** Milliseconds from the run's start to the answer. */
  end_ms: number;
  /** For `orchestrator_error`: `timeout`, `connection_refused`, ...; otherwise null. */
  reason: string | null;
  message: string | null;
  /** The call whose failure opened the circuit. */
  tripped: boolean;
}

export class Caller {
  readonly records: CallRecord[] = [];
  private sent = 0;

  private constructor(
    /** One client per replica; calls go to them in turn. */
    private readonly clients: readonly McpClient[],
    /** `performance.now()` at the run's start. */
    readonly startedAt: number,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Connects to the MCP endpoint. `timeoutMs` is the client's own deadline per call; it must be
   * longer than the server's upstream timeout, so that a slow answer is the server's verdict.
   * Several endpoints (replicas): the calls are spread over them round-robin.
   */
  static async open(urls: string | readonly string[], options: { timeoutMs: number; connections?: number }): Promise<Caller> {
    const endpoints = typeof urls === 'string' ? [urls] : urls;
    const clients: McpClient[] = [];
    try {
      for (const url of endpoints) clients.push(await connect(url, { connections: options.connections ?? 64, clientInfo: { name: 'shield-verify', version: '1' } }));
    } catch (error) {
      await Promise.all(clients.map((client) => client.close()));
      throw error;
    }
    return new Caller(clients, performance.now(), options.timeoutMs);
  }

  private next(): McpClient {
    return this.clients[this.sent++ % this.clients.length]!;
  }

  /** Milliseconds since the run's start. */
  now(): number {
    return performance.now() - this.startedAt;
  }

  async call(): Promise<CallRecord> {
    const sent = performance.now();
    const outcome = await this.next().callTool(PLAN.tool, { ...PLAN.args }, { timeoutMs: this.timeoutMs });
    const ended = performance.now();
    const record: CallRecord = {
      t_ms: sent - this.startedAt,
      end_ms: ended - this.startedAt,
      latency_us: Math.max(0, Math.round((ended - sent) * 1000)),
      outcome: outcome.outcome,
      reason: typeof outcome.error?.reason === 'string' ? outcome.error.reason : null,
      message: outcome.message ?? null,
      tripped: outcome.error?.tripped_circuit === true,
    };
    this.records.push(record);
    return record;
  }

  /**
   * Opens `connections` keep-alive connections (with `tools/list`, which never reaches the
   * orchestrator), so that a wave of calls measures the server, not TCP handshakes.
   */
  async warm(connections: number): Promise<void> {
    await Promise.all(this.clients.flatMap((client) => Array.from({ length: Math.ceil(connections / this.clients.length) }, () => client.listTools({ timeoutMs: this.timeoutMs }))));
  }

  /** `count` calls at once. */
  concurrently(count: number): Promise<CallRecord[]> {
    return Promise.all(Array.from({ length: count }, () => this.call()));
  }

  /** `concurrency` callers, each calling again as soon as its last call ended, until `durationMs` has passed. */
  async closedLoop(concurrency: number, durationMs: number): Promise<void> {
    const until = performance.now() + durationMs;
    const worker = async (): Promise<void> => {
      while (performance.now() < until) await this.call();
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.close()));
  }
}

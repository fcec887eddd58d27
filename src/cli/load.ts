import { Option, type Command } from 'commander';
import { addConnectionOptions, addServerOption, connectionSettings, type ConnectionFlags } from './connection-options.js';
import { collect, durationOption, jsonObjectOption, positiveIntOption, positiveNumberOption } from './options.js';

interface LoadFlags extends ConnectionFlags {
  tool: string;
  args: Record<string, unknown>;
  concurrency: number;
  duration?: number;
  requests?: number;
  rate?: number;
  ramp?: number;
  warmup?: number;
  timeout: number;
  sessions: 'per-worker' | 'shared';
  threshold: string[];
  expectSuccess?: boolean;
  expectCircuitOpen?: boolean;
  orchestratorDown?: boolean;
  chaos?: string;
  healthInterval: number;
  report: string[];
  json?: boolean;
  quiet?: boolean;
}

export function register(program: Command): void {
  const command = program
    .command('load')
    .description('load-test one MCP tool with concurrency, watch the circuit, check expectations, write reports');
  addServerOption(command)
    .requiredOption('--tool <name>', 'the tool to call')
    .option('--args <json>', 'the tool arguments, a JSON object', jsonObjectOption, {})
    .option('--concurrency <n>', 'workers (closed model) or the cap on calls in flight (with --rate)', positiveIntOption, 10)
    .option('--duration <duration>', 'how long to run after warmup (default 10s; a bare number means seconds)', durationOption)
    .option('--requests <n>', 'make this many measured calls instead of running for a duration', positiveIntOption)
    .option('--rate <calls/s>', 'open model: start calls at this rate, each timed from its intended start', positiveNumberOption)
    .option('--ramp <duration>', 'spread worker starts (closed) or raise the rate from 0 (open) over this time', durationOption)
    .option('--warmup <duration>', 'make calls for this long first, without measuring them', durationOption)
    .addOption(new Option('--timeout <duration>', 'per-call deadline; a call past it is a client_timeout').argParser(durationOption).default(60_000, '60s'))
    .addOption(new Option('--sessions <mode>', 'one MCP session for all workers, or one per worker').choices(['shared', 'per-worker']).default('shared'))
    .option('--threshold <expr>', 'fail unless it holds, e.g. p95<5s, error_rate<0.01, fast_fail_p99<1ms, circuit_opened_within<10s (repeatable)', collect, [])
    .option('--expect-success', 'expect no failures, the circuit never open and p95 < 5s (the plan\'s scenario 1)')
    .option('--expect-circuit-open', 'expect the circuit seen open and fast-fails under 100ms (scenarios 2 and 4)')
    .option('--orchestrator-down', 'put the orchestrator down through --chaos before the run and back up after')
    .option('--chaos <url>', 'chaos control API of shield sim or shield chaos-proxy, e.g. http://127.0.0.1:9623')
    .addOption(new Option('--health-interval <duration>', 'poll /health this often for the circuit timeline; 0 turns it off').argParser(durationOption).default(250, '250ms'))
    .option('--report <file>', 'write the report: .json (versioned, mergeable), .md or .html (repeatable)', collect, []);
  addConnectionOptions(command)
    .option('--json', 'print the JSON report on stdout instead of the summary')
    .option('--quiet', 'no live progress')
    .addHelpText(
      'after',
      '\nExamples (the plan\'s scenarios 1 and 4):\n' +
        '  shield load --server hx-mcp1-server:8081 --tool lightrag_query --args \'{"query":"test","mode":"hybrid"}\' \\\n' +
        '    --concurrency 10 --duration 60 --expect-success --report run.json\n' +
        '  shield load --server 127.0.0.1:8081 --tool lightrag_query --concurrency 50 --requests 50 \\\n' +
        '    --orchestrator-down --chaos http://127.0.0.1:9623 --expect-circuit-open\n' +
        '  shield load --server 127.0.0.1:8081 --tool lightrag_query --rate 200 --concurrency 100 --duration 2m --threshold p99<1s\n' +
        '\nExit codes: 0 every expectation met, 1 one failed (each printed with its measured value), 2 usage, 3 server unreachable.',
    )
    .action(async (flags: LoadFlags) => {
      const { loadReportFormat, writeLoadReport } = await import('../report/load-write.js');
      for (const path of flags.report) loadReportFormat(path);
      const { runLoad } = await import('../load/run.js');
      const { createProgressPrinter } = await import('../load/progress.js');
      const { formatLoadSummary } = await import('../load/summary.js');

      const stop = new AbortController();
      let interrupts = 0;
      const onInterrupt = (): void => {
        if (++interrupts > 1) process.exit(130);
        process.stderr.write('\nstopping: finishing the report (Ctrl-C again to quit at once)\n');
        stop.abort();
      };
      process.on('SIGINT', onInterrupt);
      const progress = flags.quiet ? undefined : createProgressPrinter(process.stderr);
      try {
        const report = await runLoad({
          server: flags.server,
          tool: flags.tool,
          args: flags.args,
          concurrency: flags.concurrency,
          durationMs: flags.duration,
          requests: flags.requests,
          rate: flags.rate,
          rampMs: flags.ramp,
          warmupMs: flags.warmup,
          timeoutMs: flags.timeout,
          sessions: flags.sessions,
          healthIntervalMs: flags.healthInterval,
          expectSuccess: flags.expectSuccess,
          expectCircuitOpen: flags.expectCircuitOpen,
          thresholds: flags.threshold,
          orchestratorDown: flags.orchestratorDown,
          chaosUrl: flags.chaos,
          ...(await connectionSettings(flags)),
          signal: stop.signal,
          ...(progress ? { onProgress: (p) => progress.update(p) } : {}),
        });
        progress?.done();
        for (const path of flags.report) await writeLoadReport(report, path);
        console.log(flags.json ? JSON.stringify(report, null, 2) : formatLoadSummary(report));
        if (!flags.json && flags.report.length > 0) console.log(`report: ${flags.report.join(', ')}`);
        if (!report.passed) process.exitCode = 1;
      } finally {
        progress?.done();
        process.off('SIGINT', onInterrupt);
      }
    });
}

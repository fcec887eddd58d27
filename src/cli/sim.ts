import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { LATENCY_HINT, parseLatency } from '../sim/latency.js';
import type { Latency } from '../sim/latency.js';
import { nonNegativeIntOption, portOption } from './options.js';

function latencyOption(value: string): Latency {
  const latency = parseLatency(value);
  if (latency === undefined) throw new InvalidArgumentError(`expected ${LATENCY_HINT}`);
  return latency;
}

interface SimFlags {
  host: string;
  port: number;
  controlPort: number;
  latency?: Latency;
  mode?: string;
  seed?: number;
}

export function register(program: Command): void {
  program
    .command('sim')
    .description('run a simulated LightRAG orchestrator whose faults (down, hang, slow, error, ...) `shield chaos` switches')
    .option('--host <host>', 'address to listen on, for both ports', '127.0.0.1')
    .option('--port <port>', 'data port: POST /query, GET /health (0: any free port)', portOption, 9621)
    .option('--control-port <port>', 'control API port: GET/PUT /control (0: any free port)', portOption, 9623)
    .option('--latency <duration>', 'latency of every answer: fixed (50ms) or a range (20ms..200ms)', latencyOption)
    .option('--mode <mode>', "mode to start in, as `shield chaos` takes it ('down', 'slow 30s', 'flaky 0.5') or as JSON")
    .option('--seed <n>', 'seed for the latency draws and for --mode flaky', nonNegativeIntOption)
    .action(async (flags: SimFlags) => {
      const { startSim } = await import('../sim/sim.js');
      const { modeFromSpec } = await import('../sim/chaos-args.js');
      const { formatMode } = await import('../sim/format.js');
      const { serveUntilStopped, startOrExplain } = await import('../sim/serve-until-stopped.js');
      const mode = flags.mode === undefined ? undefined : modeFromSpec(flags.mode, { seed: flags.seed });
      const sim = await startOrExplain(() =>
        startSim({
          host: flags.host,
          port: flags.port,
          controlPort: flags.controlPort,
          latency: flags.latency,
          seed: flags.seed,
          mode,
          onModeChange: (next) => console.log(`${new Date().toISOString()} mode: ${formatMode(next)}`),
        }),
      );
      const { latency } = sim.status();
      console.log(`shield sim: orchestrator at ${sim.url} (POST /query, GET /health), latency ${latency}, mode ${formatMode(sim.mode())}`);
      console.log(`control API at ${sim.controlUrl}/control; switch modes with: shield chaos <mode> --control ${sim.controlUrl}`);
      const signal = await serveUntilStopped(sim);
      console.log(`${signal}: stopped`);
    });
}

import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';

interface HostPort {
  host: string;
  port: number;
}

/** `127.0.0.1:9622`, `[::1]:9622`, or a bare port (on 127.0.0.1). */
function hostPortOption(value: string): HostPort {
  const match = /^(?:(\[[^\]]+\]|[^:]+):)?(\d+)$/.exec(value.trim());
  const port = Number(match?.[2]);
  if (match === null || port > 65535) throw new InvalidArgumentError('expected HOST:PORT, like 127.0.0.1:9622');
  return { host: (match[1] ?? '127.0.0.1').replace(/^\[(.*)\]$/, '$1'), port };
}

function targetOption(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('expected a URL like http://orchestrator-host:9621');
  }
  if (url.protocol !== 'http:') throw new InvalidArgumentError(`expected an http:// URL (got ${url.protocol})`);
  return value;
}

interface ChaosProxyFlags {
  listen: HostPort;
  target: string;
  control: HostPort;
}

export function register(program: Command): void {
  program
    .command('chaos-proxy')
    .description('put the same faults in front of a real orchestrator: a TCP proxy, transparent while healthy')
    .requiredOption('--target <url>', 'the real orchestrator, e.g. http://orchestrator-host:9621', targetOption)
    .option('--listen <host:port>', 'where callers connect (point Shield here)', hostPortOption, hostPortOption('127.0.0.1:9622'))
    .option('--control <host:port>', 'control API address (GET/PUT /control)', hostPortOption, hostPortOption('127.0.0.1:9623'))
    .action(async (flags: ChaosProxyFlags) => {
      const { probeTarget, startChaosProxy } = await import('../sim/chaos-proxy.js');
      const { formatMode } = await import('../sim/format.js');
      const { serveUntilStopped, startOrExplain } = await import('../sim/serve-until-stopped.js');
      const proxy = await startOrExplain(() =>
        startChaosProxy({
          target: flags.target,
          host: flags.listen.host,
          port: flags.listen.port,
          controlHost: flags.control.host,
          controlPort: flags.control.port,
          onModeChange: (next) => console.log(`${new Date().toISOString()} mode: ${formatMode(next)}`),
        }),
      );
      console.log(`shield chaos-proxy: ${proxy.url} -> ${flags.target}, mode ${formatMode(proxy.mode())}`);
      console.log(`control API at ${proxy.controlUrl}/control; switch modes with: shield chaos <mode> --control ${proxy.controlUrl}`);
      const unreachable = await probeTarget(flags.target);
      if (unreachable !== undefined) {
        console.error(`warning: the target ${flags.target} is not reachable now (${unreachable}); callers are dropped until it is`);
      }
      const signal = await serveUntilStopped(proxy);
      console.log(`${signal}: stopped`);
    });
}

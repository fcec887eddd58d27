/**
 * A private `redis-server` (for `shield verify --replicas` without `--state`, and for tests): a free
 * port on 127.0.0.1, no persistence, stopped by its owner. `kill()` + `start()` on the same port is
 * how tests take Redis away and bring it back (empty); `pause()`/`resume()` (SIGSTOP/SIGCONT) make it
 * slow without closing connections.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

export interface PrivateRedis {
  readonly port: number;
  /** `redis://127.0.0.1:<port>/0` */
  readonly url: string;
  /** Starts the server (again) on the same port; resolves once it accepts connections. */
  start(): Promise<void>;
  /** SIGKILL: connections drop at once, all data is lost. */
  kill(): Promise<void>;
  pause(): void;
  resume(): void;
  /** Stops the server for good (idempotent). */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no TCP address for the probe socket');
  return address.port;
}

async function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(200);
    socket.once('connect', () => {
      socket.write('PING\r\n');
    });
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  let stderr = '';

  async function start(): Promise<void> {
    if (child) throw new Error('the private redis-server is already running');
    stderr = '';
    const started = spawn(
      REDIS_SERVER,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child = started;
    started.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    started.once('exit', () => {
      if (child === started) child = undefined;
    });
    started.once('error', (error) => {
      stderr += `cannot run ${REDIS_SERVER} (${error.message}); install redis-server or set REDIS_SERVER`;
      if (child === started) child = undefined;
    });
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      if (child !== started) throw new Error(`redis-server exited on port ${port}: ${stderr.trim()}`);
      if (await acceptsConnections(port)) return;
      await sleep(20);
    }
    await kill();
    throw new Error(`redis-server did not accept connections on port ${port} within 5 s`);
  }

  async function kill(): Promise<void> {
    const running = child;
    if (!running) return;
    const exited = once(running, 'exit');
    running.kill('SIGCONT');
    running.kill('SIGKILL');
    await exited;
  }

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    start,
    kill,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    stop: kill,
  };
}

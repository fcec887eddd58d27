/**
 * `npm run bench -- sim`: POST /query throughput of the healthy, zero-latency simulator and of the
 * chaos proxy (healthy, in front of a bare server), each against a bare node:http server answering
 * the same JSON, measured in the same run. autocannon drives 10 keep-alive connections; each server
 * runs in its own child process. Rounds interleave the contenders so machine noise hits them alike;
 * each ratio is the median over rounds of (contender / bare in the same round), each req/s the median.
 *
 * Targets: simulator >= 0.7x bare (it must not be what limits the server benchmark, where it has
 * to reach 2x Shield's tools/call throughput: that figure is in `npm run bench -- server`);
 * proxy >= 0.4x bare direct (a TCP hop through one more process on the same two cores).
 *
 * Run as `bench/sim.ts --role <name> [upstream-url]`, the file is one of those child servers.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import type * as SimModule from '../src/sim/index.js';
import { queryReply } from '../src/sim/lightrag.js';
import { fromDist } from './dist.js';
import { median } from './median.js';

const CONNECTIONS = 10;
const ROUND_S = 2;
const ROUNDS = 7;
const QUERY = JSON.stringify({ query: 'test', mode: 'hybrid' });

type Role = 'bare' | 'sim' | 'proxy';

async function startRole(role: Role, upstreamUrl: string): Promise<string> {
  switch (role) {
    case 'bare': {
      const answer = queryReply(QUERY).body;
      const server = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
          res.end(answer);
        });
      });
      server.keepAliveTimeout = 65_000;
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }
    case 'sim': {
      const { startSim } = await fromDist<typeof SimModule>('sim/index.js');
      return (await startSim()).url;
    }
    case 'proxy': {
      const { startChaosProxy } = await fromDist<typeof SimModule>('sim/index.js');
      return (await startChaosProxy({ target: upstreamUrl })).url;
    }
  }
}

async function child(role: Role, upstreamUrl = ''): Promise<{ url: string; process: ChildProcess }> {
  const proc = fork(new URL(import.meta.url).pathname, ['--role', role, upstreamUrl], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    proc.once('message', (message: { url: string }) => resolve(message.url));
    proc.once('exit', (code) => reject(new Error(`${role} exited with ${code}`)));
  });
  return { url, process: proc };
}

async function throughput(url: string, seconds: number): Promise<number> {
  const result = await autocannon({
    url: `${url}/query`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: QUERY,
    connections: CONNECTIONS,
    duration: seconds,
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${url}: ${result.non2xx} non-2xx and ${result.errors} errors`);
  }
  return result.requests.average;
}


async function drive(): Promise<boolean> {
  const bare = await child('bare');
  const sim = await child('sim');
  const proxy = await child('proxy', bare.url);
  const contenders = [
    { name: 'bare node:http', url: bare.url },
    { name: 'shield sim (healthy, 0 ms)', url: sim.url },
    { name: 'chaos proxy -> bare (healthy)', url: proxy.url },
  ];
  try {
    for (const { url } of contenders) await throughput(url, 1);
    const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? contenders : [...contenders].reverse();
      for (const { name, url } of order) samples.get(name)?.push(await throughput(url, ROUND_S));
    }
    const rps = (name: string) => median(samples.get(name) as number[]);
    const ratio = (name: string) => {
      const bareRounds = samples.get('bare node:http') as number[];
      return median((samples.get(name) as number[]).map((value, round) => value / (bareRounds[round] as number)));
    };
    const reference = rps('bare node:http');
    console.log(
      `POST /query, ${CONNECTIONS} keep-alive connections, ${ROUNDS} interleaved rounds of ${ROUND_S} s: median req/s, median per-round ratio`,
    );
    console.log(`  ${'bare node:http (reference)'.padEnd(34)} ${reference.toFixed(0).padStart(8)} req/s`);
    let missed = false;
    for (const [name, target] of [
      ['shield sim (healthy, 0 ms)', 0.7],
      ['chaos proxy -> bare (healthy)', 0.4],
    ] as const) {
      const pass = ratio(name) >= target;
      missed ||= !pass;
      console.log(
        `  ${name.padEnd(34)} ${rps(name).toFixed(0).padStart(8)} req/s   ${ratio(name).toFixed(2)}x bare   target >= ${target}x   ${pass ? 'PASS' : 'MISS'}`,
      );
    }
    return !missed;
  } finally {
    for (const { process: proc } of [proxy, sim, bare]) proc.kill();
  }
}

const roleIndex = process.argv.indexOf('--role');
if (roleIndex !== -1) {
  const url = await startRole(process.argv[roleIndex + 1] as Role, process.argv[roleIndex + 2] ?? '');
  process.send?.({ url });
} else {
  process.exitCode = (await drive()) ? 0 : 1;
}

import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { UsageError } from './exit-codes.js';
import { nonNegativeIntOption, positiveIntOption, serverOption } from './options.js';
import type { DownKind, ScenarioId } from '../report/verify-report.js';

interface VerifyFlags {
  scenarios?: ScenarioId[];
  timeScale?: number;
  full?: boolean;
  down: DownKind[];
  target?: URL;
  chaos?: string;
  report: string;
  failMax?: number;
  breaker: boolean;
  seed?: number;
  replicas: number;
  state?: string;
  quiet?: boolean;
}

/** At least 2 replicas make a cluster; 1 is the default, one server. */
function replicasOption(value: string): number {
  const count = positiveIntOption(value);
  if (count > 16) throw new InvalidArgumentError('expected a replica count from 1 to 16');
  return count;
}

/** `2,3` → [2, 3]. */
function scenariosOption(value: string): ScenarioId[] {
  const ids = value.split(',').map((part) => Number(part.trim()));
  if (value.trim() === '' || ids.some((id) => !Number.isInteger(id) || id < 1 || id > 5)) {
    throw new InvalidArgumentError('expected scenario numbers from 1 to 5, like 2,3');
  }
  return ids as ScenarioId[];
}

/** `0.01` or `1/100`: a factor above 0, at most 1. */
function timeScaleOption(value: string): number {
  const fraction = /^\s*1\s*\/\s*(\d+(?:\.\d+)?)\s*$/.exec(value);
  const scale = fraction ? 1 / Number(fraction[1]) : Number(value);
  if (!Number.isFinite(scale) || scale <= 0 || scale > 1) {
    throw new InvalidArgumentError('expected a factor above 0 and at most 1, like 0.01 or 1/100');
  }
  return scale;
}

function downOption(value: string): DownKind[] {
  if (value === 'both') return ['refused', 'hang'];
  if (value === 'refused' || value === 'hang') return [value];
  throw new InvalidArgumentError('expected refused, hang or both');
}

export function register(program: Command): void {
  program
    .command('verify')
    .description("run the load test plan's five scenarios end to end and write report.md, report.json and report.html")
    .option('--scenarios <list>', 'run only these scenarios, e.g. 2,3 (default: all five)', scenariosOption)
    .option('--time-scale <factor>', 'scale every duration of the plan, e.g. 0.01 or 1/100 (default 1/100 embedded, 1 with --target)', timeScaleOption)
    .option('--full', "the plan's real timings (30 s timeout, 60 s reset); same as --time-scale 1")
    .addOption(
      new Option('--down <kind>', 'how the orchestrator goes down: refused (a stopped service), hang (no answer) or both')
        .argParser(downOption)
        .default(['refused', 'hang'], 'both'),
    )
    .option('--target <host:port|url>', 'verify a deployment instead of the embedded simulator and server', serverOption)
    .option('--chaos <url>', 'with --target: the control API of the chaos proxy or simulator in front of its orchestrator')
    .option('--report <dir>', 'where report.md, report.json, report.html and (embedded) server.log go', './shield-report')
    .option('--fail-max <n>', "embedded: the server's breaker fail_max (default the plan's 5; change it to watch verify fail)", positiveIntOption)
    .option('--no-breaker', 'embedded: run the server without a breaker (to watch verify fail)')
    .option('--replicas <n>', 'embedded: run scenarios 2, 3 and 4 across n Shield servers sharing one circuit through Redis', replicasOption, 1)
    .option('--state <redis-url>', 'with --replicas: the Redis they share, e.g. redis://127.0.0.1:6379/0 (default: a private redis-server for the run)')
    .option('--seed <n>', "seed of the flapping orchestrator's failures in scenario 5: the same seed draws the same sequence (default 2)", nonNegativeIntOption)
    .option('--quiet', 'no progress lines on stderr')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  shield verify                                  # the whole plan on an embedded simulator, about 10 s\n' +
        '  shield verify --scenarios 2,3 --down hang      # circuit opening and recovery with a hung orchestrator\n' +
        '  shield verify --full                           # the plan\'s real timings, about 10 minutes\n' +
        '  shield verify --target http://host:8081 --chaos http://control:9623\n' +
        '  shield verify --replicas 3                     # scenarios 2-4 across three replicas sharing one circuit in Redis\n' +
        '\nExit codes: 0 every scenario and criterion passed, 1 one failed or was skipped, 2 usage, 3 target unreachable.',
    )
    .action(async (flags: VerifyFlags) => {
      if (flags.full && flags.timeScale !== undefined) throw new UsageError('--full and --time-scale contradict each other; pass one');
      if (flags.chaos !== undefined && flags.target === undefined) throw new UsageError('--chaos needs --target (the embedded simulator is controlled directly)');
      if (flags.target !== undefined && (flags.failMax !== undefined || !flags.breaker)) {
        throw new UsageError('--fail-max and --no-breaker change the embedded server; a --target keeps its own configuration');
      }
      if (flags.replicas > 1 && flags.target !== undefined) throw new UsageError('--replicas starts embedded servers; a --target is one deployment');
      if (flags.replicas > 1 && flags.scenarios?.some((id) => id === 1 || id === 5)) {
        throw new UsageError('--scenarios: 1 and 5 do not run across --replicas (2, 3 and 4 do); run them without --replicas');
      }
      if (flags.state !== undefined && flags.replicas < 2) throw new UsageError('--state is the Redis shared by --replicas; pass --replicas 2 or more with it');
      if (flags.state !== undefined && !/^rediss?:\/\/[^\s]+$/.test(flags.state)) {
        throw new UsageError(`--state ${JSON.stringify(flags.state)} is not a Redis URL; expected redis://host:port/db`);
      }
      const { mkdir } = await import('node:fs/promises');
      const { createWriteStream } = await import('node:fs');
      const { join } = await import('node:path');
      try {
        await mkdir(flags.report, { recursive: true });
      } catch (error) {
        throw new UsageError(`--report ${flags.report}: cannot create the directory (${(error as Error).message})`);
      }
      const { runVerify, DEFAULT_TIME_SCALE } = await import('../verify/index.js');
      const { renderVerifyConsole } = await import('../report/console.js');
      const { writeVerifyReports } = await import('../report/write.js');
      const scale = flags.full ? 1 : (flags.timeScale ?? (flags.target ? 1 : DEFAULT_TIME_SCALE));
      const logStream = flags.target === undefined ? createWriteStream(join(flags.report, 'server.log')) : undefined;
      const interactive = process.stderr.isTTY === true;
      let report;
      try {
        report = await runVerify({
          scale,
          down: flags.down,
          ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
          ...(flags.replicas > 1 ? { replicas: flags.replicas } : {}),
          ...(flags.state !== undefined ? { stateUrl: flags.state } : {}),
          ...(flags.scenarios ? { scenarios: flags.scenarios } : {}),
          ...(flags.target ? { target: flags.target } : {}),
          ...(flags.chaos !== undefined ? { chaos: flags.chaos } : {}),
          ...(flags.target === undefined ? { guard: { ...(flags.failMax !== undefined ? { failMax: flags.failMax } : {}), breaker: flags.breaker } } : {}),
          ...(logStream ? { logStream } : {}),
          ...(flags.quiet ? {} : { progress: (line: string) => process.stderr.write(`${interactive ? '\x1b[2m' : ''}· ${line}${interactive ? '\x1b[0m' : ''}\n`) }),
        });
      } finally {
        if (logStream) await new Promise((resolve) => logStream.end(resolve));
      }
      const written = await writeVerifyReports(flags.report, report);
      const color = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
      process.stdout.write(renderVerifyConsole(report, { width: process.stdout.columns ?? 120, color }));
      process.stdout.write(`Reports: ${written.markdown}, ${written.json}, ${written.html}\n`);
      if (report.verdict !== 'pass') process.exitCode = 1;
    });
}

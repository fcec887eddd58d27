import type { Command } from 'commander';
import { register as serve } from './serve.js';
import { register as sim } from './sim.js';
import { register as chaosProxy } from './chaos-proxy.js';
import { register as chaos } from './chaos.js';
import { register as invoke } from './invoke.js';
import { register as tools } from './tools.js';
import { register as health } from './health.js';
import { register as load } from './load.js';
import { register as verify } from './verify.js';

/** Every subcommand, in the order `shield --help` lists them. */
export const COMMANDS: Array<(program: Command) => void> = [
  verify,
  serve,
  invoke,
  tools,
  health,
  load,
  sim,
  chaosProxy,
  chaos,
];

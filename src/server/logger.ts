/**
 * pino JSON lines on stdout (what `journalctl -u shield-mcp-server` shows), readable colour output
 * when stdout is a terminal.
 */
import { pino } from 'pino';
import type { Logger } from 'pino';
import pretty from 'pino-pretty';
import type { ShieldConfig } from './config.js';

export type { Logger };

export function createLogger(log: ShieldConfig['log'], destination?: NodeJS.WritableStream): Logger {
  const options = { name: 'shield', level: log.level, base: { pid: process.pid } };
  if (destination) return pino(options, destination);
  const usePretty = log.format === 'pretty' || (log.format === 'auto' && process.stdout.isTTY === true);
  if (usePretty) return pino(options, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' }));
  return pino(options, pino.destination({ dest: 1, sync: false }));
}

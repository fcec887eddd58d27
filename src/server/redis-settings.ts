/**
 * The settings of shared breaker state (`--state redis://…`, config `state:`) and their checks. Kept
 * free of the Redis client so that loading a configuration does not load ioredis.
 */
import { basename, extname } from 'node:path';

export const DEFAULT_STATE_BUDGET_MS = 50;
export const DEFAULT_STATE_TTL_MS = 24 * 60 * 60 * 1000;

export interface StateSettings {
  url: string;
  namespace: string;
  /** Longest wait on Redis on a call path. */
  budgetMs: number;
  /** Keys expire this long after their last write. */
  ttlMs: number;
}

const NAME_PATTERN = /^[A-Za-z0-9._-]{1,100}$/;
const NAME_HINT = "1-100 letters, digits, '.', '_' or '-'";

/** Throws a RangeError saying what was expected; callers turn it into a usage or config error. */
export function parseStateUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RangeError(`expected a URL like redis://host:6379/0, got '${text}'`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new RangeError(`expected a redis:// or rediss:// URL, got '${url.protocol}'`);
  }
  if (url.hostname === '') throw new RangeError(`expected a host in '${text}'`);
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw new RangeError(`expected a database number after the host, got '/${db}'`);
  return text;
}

/** Names become parts of Redis keys (`shield:{namespace}:{upstream}`), so they cannot contain ':'. */
export function validateStateName(kind: 'namespace' | 'upstream', name: string): string {
  if (!NAME_PATTERN.test(name)) throw new RangeError(`state ${kind} '${name}' must be ${NAME_HINT}`);
  return name;
}

/** The default namespace: the config file's name (`prod-eu` for `/etc/shield/prod-eu.yaml`), else `shield`. */
export function defaultNamespace(configFile?: string): string {
  if (configFile === undefined) return 'shield';
  const name = basename(configFile, extname(configFile)).replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 100);
  return name === '' ? 'shield' : name;
}

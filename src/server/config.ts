/**
 * Shield's configuration: a YAML or JSON file, `${ENV}` substitution, quick-start flags laid on top,
 * all validated by one zod schema. Every error names the path of the offending field, e.g.
 * `upstreams.orchestrator.breaker.fail_max: expected a positive integer`.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import * as z from 'zod';
import { DURATION_HINT, parseDuration } from '../common/duration.js';
import { isRecord } from '../common/is-record.js';
import { DEFAULT_STATE_BUDGET_MS, DEFAULT_STATE_TTL_MS, parseStateUrl, validateStateName } from './redis-settings.js';

export const DEFAULT_UPSTREAM = 'orchestrator';
export const DEFAULT_UPSTREAM_URL = 'http://127.0.0.1:9621';
export const LIGHTRAG_MODES = ['local', 'global', 'hybrid', 'naive', 'mix', 'bypass'] as const;

/** A configuration that cannot be used; the CLI maps it to exit 2. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface BreakerConfig {
  failMax: number;
  resetTimeoutMs: number;
  halfOpenMaxCalls: number;
  successThreshold: number;
  failureRate?: { threshold: number; window: number; minCalls?: number };
  backoff?: { multiplier: number; maxResetTimeoutMs: number };
  /** Upstream 4xx answers (other than 408 and 429) mean the upstream is alive: they do not count as failures. */
  countClientErrors: boolean;
}

export interface UpstreamConfig {
  name: string;
  url: string;
  headers: Record<string, string>;
  /** 0 means no deadline. */
  timeoutMs: number;
  /** undefined means unbounded. */
  maxConcurrent?: number;
  maxQueue: number;
  /** Keep-alive connections in the upstream pool. */
  connections: number;
  /** false: no breaker at all (the plan's baseline). */
  breaker: BreakerConfig | false;
}

export interface ToolConfig {
  name: string;
  description: string;
  upstream: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  /** The request body: a JSON template where a string `{{arg}}` becomes that argument's value; omitted → the arguments. */
  body?: unknown;
  /** Dotted path of the field in the upstream's JSON answer that becomes the result text. */
  responseField: string;
  inputSchema: Record<string, unknown>;
}

export interface ServerSettings {
  host: string;
  port: number;
  /** Host header names accepted besides the loopback names. */
  allowedHosts: string[];
  /** Origin hostnames accepted besides the loopback names. */
  allowedOrigins: string[];
  /** Bearer tokens accepted on /mcp; empty = no auth. */
  authTokens: string[];
  /** Admin routes exist only when set. */
  adminToken?: string;
  maxBodyBytes: number;
  sessionIdleTimeoutMs: number;
  maxSessions: number;
  shutdownGraceMs: number;
}

export interface ShieldConfig {
  server: ServerSettings;
  log: { level: LogLevel; format: 'auto' | 'json' | 'pretty' };
  upstreams: Record<string, UpstreamConfig>;
  tools: Record<string, ToolConfig>;
  /** Breaker state shared with other replicas through Redis; absent: each process keeps its own. */
  state?: { url: string; namespace?: string; budgetMs: number; ttlMs: number };
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Quick-start flags (`shield serve --timeout 5s ...`); guard settings apply to every upstream. */
export interface ConfigFlags {
  upstreams?: Record<string, string>;
  timeoutMs?: number;
  failMax?: number;
  resetTimeoutMs?: number;
  failureRate?: number;
  window?: number;
  maxConcurrent?: number;
  maxQueue?: number;
  logLevel?: LogLevel;
  host?: string;
  port?: number;
  authTokens?: string[];
  noBreaker?: boolean;
  /** `--state redis://…` and `--state-namespace`. */
  stateUrl?: string;
  stateNamespace?: string;
}

const positiveInt = z
  .number({ error: 'expected a positive integer' })
  .int({ error: 'expected a positive integer' })
  .positive({ error: 'expected a positive integer' });
const nonNegativeInt = z
  .number({ error: 'expected a whole number, 0 or more' })
  .int({ error: 'expected a whole number, 0 or more' })
  .min(0, { error: 'expected a whole number, 0 or more' });
const fraction = z
  .number({ error: 'expected a fraction from 0 to 1' })
  .min(0, { error: 'expected a fraction from 0 to 1' })
  .max(1, { error: 'expected a fraction from 0 to 1' });
/** Durations in milliseconds. A `.default()` is an output value, so defaults are written in ms. */
const durationMs = z.union([z.string(), z.number()], { error: `expected ${DURATION_HINT}` }).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected ${DURATION_HINT}` });
    return z.NEVER;
  }
  return ms;
});
const httpUrl = z.string({ error: 'expected a URL like http://127.0.0.1:9621' }).refine(
  (value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  },
  { error: 'expected a URL like http://127.0.0.1:9621' },
);
const stringList = z.array(z.string({ error: 'expected a string' }), { error: 'expected a list of strings' });

const breakerSchema = z
  .strictObject({
    enabled: z.boolean({ error: 'expected true or false' }).default(true),
    fail_max: positiveInt.default(5),
    reset_timeout: durationMs.default(60_000),
    half_open_max_calls: positiveInt.default(1),
    success_threshold: positiveInt.default(1),
    failure_rate: z
      .strictObject({ threshold: fraction, window: positiveInt, min_calls: positiveInt.optional() })
      .optional(),
    backoff: z.strictObject({ multiplier: z.number().min(1, { error: 'expected a number, 1 or more' }), max_reset_timeout: durationMs }).optional(),
    count_client_errors: z.boolean({ error: 'expected true or false' }).default(false),
  })
  .default({
    enabled: true,
    fail_max: 5,
    reset_timeout: 60_000,
    half_open_max_calls: 1,
    success_threshold: 1,
    count_client_errors: false,
  });

const upstreamSchema = z.strictObject({
  url: httpUrl,
  api_key: z.string().optional(),
  headers: z.record(z.string(), z.string({ error: 'expected a string' })).default({}),
  timeout: durationMs.default(30_000),
  max_concurrent: positiveInt.optional(),
  max_queue: nonNegativeInt.default(0),
  connections: positiveInt.default(128),
  breaker: breakerSchema,
});

const toolSchema = z.strictObject({
  description: z.string().default(''),
  upstream: z.string().default(DEFAULT_UPSTREAM),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
  path: z.string().startsWith('/', { error: "expected a path starting with '/'" }),
  body: z.unknown().optional(),
  response_field: z.string().default('response'),
  input_schema: z
    .record(z.string(), z.unknown(), { error: 'expected a JSON schema object' })
    .refine((schema) => schema.type === 'object', { error: "expected a JSON schema with type: object" }),
});

const fileSchema = z.strictObject({
  server: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535, { error: 'expected a port from 0 to 65535' }).default(8081),
      allowed_hosts: stringList.default([]),
      allowed_origins: stringList.default([]),
      auth_tokens: stringList.default([]).transform((tokens) => tokens.filter((token) => token !== '')),
      // Empty means unset, so `${SHIELD_ADMIN_TOKEN:-}` in a file leaves the admin routes off.
      admin_token: z.string({ error: 'expected a string' }).optional(),
      max_body_bytes: positiveInt.default(1_048_576),
      session_idle_timeout: durationMs.default(1_800_000),
      max_sessions: positiveInt.default(10_000),
      shutdown_grace: durationMs.default(10_000),
    })
    .default({
      host: '127.0.0.1',
      port: 8081,
      allowed_hosts: [],
      allowed_origins: [],
      auth_tokens: [],
      max_body_bytes: 1_048_576,
      session_idle_timeout: 1_800_000,
      max_sessions: 10_000,
      shutdown_grace: 10_000,
    }),
  log: z
    .strictObject({
      level: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }).default('info'),
      format: z.enum(['auto', 'json', 'pretty'], { error: 'expected auto, json or pretty' }).default('auto'),
    })
    .default({ level: 'info', format: 'auto' }),
  upstreams: z.record(z.string(), upstreamSchema).optional(),
  tools: z.record(z.string(), toolSchema).optional(),
  state: z
    .strictObject({
      url: z.string({ error: 'expected a URL like redis://host:6379/0' }).superRefine((value, ctx) => {
        try {
          parseStateUrl(value);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
        }
      }),
      namespace: z
        .string({ error: 'expected a name' })
        .superRefine((value, ctx) => {
          try {
            validateStateName('namespace', value);
          } catch (error) {
            ctx.addIssue({ code: 'custom', message: (error as Error).message });
          }
        })
        .optional(),
      budget: durationMs.default(DEFAULT_STATE_BUDGET_MS),
      ttl: durationMs.default(DEFAULT_STATE_TTL_MS),
    })
    .optional(),
});

type FileConfig = z.output<typeof fileSchema>;

/** The default tool: LightRAG's query endpoint. */
export function lightragQueryTool(upstream = DEFAULT_UPSTREAM): ToolConfig {
  return {
    name: 'lightrag_query',
    description:
      'Query the LightRAG knowledge graph through the orchestrator. Returns the generated answer as text.',
    upstream,
    method: 'POST',
    path: '/query',
    body: { query: '{{query}}', mode: '{{mode}}' },
    responseField: 'response',
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string', minLength: 1, description: 'The question to ask.' },
        mode: {
          type: 'string',
          enum: [...LIGHTRAG_MODES],
          default: 'hybrid',
          description: 'LightRAG retrieval mode.',
        },
      },
      required: ['query'],
      additionalProperties: false,
    },
  };
}

function toBreaker(raw: FileConfig['upstreams'] extends Record<string, infer U> | undefined ? U : never): BreakerConfig | false {
  const b = raw.breaker;
  if (!b.enabled) return false;
  const breaker: BreakerConfig = {
    failMax: b.fail_max,
    resetTimeoutMs: b.reset_timeout,
    halfOpenMaxCalls: b.half_open_max_calls,
    successThreshold: b.success_threshold,
    countClientErrors: b.count_client_errors,
  };
  if (b.failure_rate) {
    breaker.failureRate = { threshold: b.failure_rate.threshold, window: b.failure_rate.window };
    if (b.failure_rate.min_calls !== undefined) breaker.failureRate.minCalls = b.failure_rate.min_calls;
  }
  if (b.backoff) breaker.backoff = { multiplier: b.backoff.multiplier, maxResetTimeoutMs: b.backoff.max_reset_timeout };
  return breaker;
}

function fromFile(file: FileConfig): ShieldConfig {
  const rawUpstreams = file.upstreams ?? { [DEFAULT_UPSTREAM]: upstreamSchema.parse({ url: DEFAULT_UPSTREAM_URL }) };
  const upstreams: Record<string, UpstreamConfig> = {};
  for (const [name, raw] of Object.entries(rawUpstreams)) {
    const headers = { ...raw.headers };
    if (raw.api_key !== undefined && raw.api_key !== '') headers['X-API-Key'] = raw.api_key;
    upstreams[name] = {
      name,
      url: raw.url.replace(/\/+$/, ''),
      headers,
      timeoutMs: raw.timeout,
      maxQueue: raw.max_queue,
      connections: raw.connections,
      breaker: toBreaker(raw),
      ...(raw.max_concurrent === undefined ? {} : { maxConcurrent: raw.max_concurrent }),
    };
  }
  const tools: Record<string, ToolConfig> = {};
  if (file.tools === undefined) {
    if (!(DEFAULT_UPSTREAM in upstreams)) {
      throw new ConfigError(
        `tools: no tools are configured and there is no upstream named '${DEFAULT_UPSTREAM}' for the default lightrag_query tool`,
      );
    }
    tools.lightrag_query = lightragQueryTool();
  } else {
    for (const [name, raw] of Object.entries(file.tools)) {
      if (!(raw.upstream in upstreams)) {
        throw new ConfigError(
          `tools.${name}.upstream: unknown upstream '${raw.upstream}'; expected one of ${Object.keys(upstreams).join(', ')}`,
        );
      }
      tools[name] = {
        name,
        description: raw.description,
        upstream: raw.upstream,
        method: raw.method,
        path: raw.path,
        body: raw.body,
        responseField: raw.response_field,
        inputSchema: raw.input_schema,
      };
    }
  }
  const s = file.server;
  return {
    server: {
      host: s.host,
      port: s.port,
      allowedHosts: s.allowed_hosts,
      allowedOrigins: s.allowed_origins,
      authTokens: s.auth_tokens,
      maxBodyBytes: s.max_body_bytes,
      sessionIdleTimeoutMs: s.session_idle_timeout,
      maxSessions: s.max_sessions,
      shutdownGraceMs: s.shutdown_grace,
      ...(s.admin_token ? { adminToken: s.admin_token } : {}),
    },
    log: file.log,
    upstreams,
    tools,
    ...(file.state
      ? { state: { url: file.state.url, namespace: file.state.namespace, budgetMs: file.state.budget, ttlMs: file.state.ttl } }
      : {}),
  };
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

/** Replaces `${NAME}` and `${NAME:-default}` in every string; a whole-string reference keeps YAML's typing (`5` → 5). */
function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, path: string[]): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    const replaced = value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_match, name: string, fallback?: string) => {
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      throw new ConfigError(`${path.join('.') || '(root)'}: environment variable ${name} is not set`);
    });
    return /^\$\{[^}]+\}$/.test(value) ? parseYaml(replaced) ?? replaced : replaced;
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, env, [...path, String(i)]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, substituteEnv(item, env, [...path, key])]),
    );
  }
  return value;
}

function child(parent: Record<string, unknown>, key: string): Record<string, unknown> {
  const existing = parent[key];
  if (isRecord(existing)) return existing;
  const created: Record<string, unknown> = {};
  parent[key] = created;
  return created;
}

/** Lays the quick-start flags over the raw (file) configuration, before validation. */
function applyFlags(raw: Record<string, unknown>, flags: ConfigFlags): Record<string, unknown> {
  const merged = structuredClone(raw);
  if (flags.upstreams && Object.keys(flags.upstreams).length > 0) {
    const upstreams = child(merged, 'upstreams');
    for (const [name, url] of Object.entries(flags.upstreams)) child(upstreams, name).url = url;
  }
  const guardFlags =
    flags.timeoutMs !== undefined ||
    flags.failMax !== undefined ||
    flags.resetTimeoutMs !== undefined ||
    flags.failureRate !== undefined ||
    flags.maxConcurrent !== undefined ||
    flags.maxQueue !== undefined ||
    flags.noBreaker === true;
  if (guardFlags) {
    if (!isRecord(merged.upstreams)) merged.upstreams = { [DEFAULT_UPSTREAM]: { url: DEFAULT_UPSTREAM_URL } };
    for (const upstream of Object.values(merged.upstreams as Record<string, unknown>)) {
      if (!isRecord(upstream)) continue;
      if (flags.timeoutMs !== undefined) upstream.timeout = `${flags.timeoutMs}ms`;
      if (flags.maxConcurrent !== undefined) upstream.max_concurrent = flags.maxConcurrent;
      if (flags.maxQueue !== undefined) upstream.max_queue = flags.maxQueue;
      const breaker = child(upstream, 'breaker');
      if (flags.noBreaker) breaker.enabled = false;
      if (flags.failMax !== undefined) breaker.fail_max = flags.failMax;
      if (flags.resetTimeoutMs !== undefined) breaker.reset_timeout = `${flags.resetTimeoutMs}ms`;
      if (flags.failureRate !== undefined) {
        breaker.failure_rate = { threshold: flags.failureRate, window: flags.window ?? 10 };
      }
    }
  }
  if (flags.logLevel !== undefined) child(merged, 'log').level = flags.logLevel;
  if (flags.stateUrl !== undefined) child(merged, 'state').url = flags.stateUrl;
  if (flags.stateNamespace !== undefined) child(merged, 'state').namespace = flags.stateNamespace;
  if (flags.host !== undefined) child(merged, 'server').host = flags.host;
  if (flags.port !== undefined) child(merged, 'server').port = flags.port;
  if (flags.authTokens && flags.authTokens.length > 0) {
    const server = child(merged, 'server');
    const existing = Array.isArray(server.auth_tokens) ? (server.auth_tokens as unknown[]) : [];
    server.auth_tokens = [...existing, ...flags.authTokens];
  }
  return merged;
}

/** Tokens from the environment (`SHIELD_AUTH_TOKENS`, comma-separated; `SHIELD_ADMIN_TOKEN`). */
function applyEnvTokens(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  const authTokens = (env.SHIELD_AUTH_TOKENS ?? '')
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '');
  if (authTokens.length > 0) {
    const server = child(raw, 'server');
    const existing = Array.isArray(server.auth_tokens) ? (server.auth_tokens as unknown[]) : [];
    server.auth_tokens = [...existing, ...authTokens];
  }
  if (env.SHIELD_ADMIN_TOKEN) child(raw, 'server').admin_token = env.SHIELD_ADMIN_TOKEN;
}

/**
 * Builds a validated configuration from a plain object shaped like the config file
 * (snake_case keys, durations as `30s` or seconds), with flags and environment applied.
 */
export function resolveConfig(
  input: unknown = {},
  options: { flags?: ConfigFlags; env?: NodeJS.ProcessEnv } = {},
): ShieldConfig {
  const env = options.env ?? process.env;
  if (input === null || input === undefined) input = {};
  if (!isRecord(input)) throw new ConfigError('(root): expected a mapping of settings (server, log, upstreams, tools)');
  const substituted = substituteEnv(input, env, []) as Record<string, unknown>;
  applyEnvTokens(substituted, env);
  const merged = applyFlags(substituted, options.flags ?? {});
  const parsed = fileSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    let path = formatPath(issue.path);
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      path = formatPath([...issue.path, issue.keys[0]!]);
      message = 'unknown setting';
    }
    throw new ConfigError(`${path || '(root)'}: ${message}`);
  }
  return fromFile(parsed.data);
}

/** Reads, substitutes and validates a config file (YAML or JSON); with no file, the defaults and flags. */
export async function loadConfig(
  options: { file?: string; flags?: ConfigFlags; env?: NodeJS.ProcessEnv } = {},
): Promise<ShieldConfig> {
  let raw: unknown = {};
  if (options.file !== undefined) {
    let text: string;
    try {
      text = await readFile(options.file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
      throw new ConfigError(`${options.file}: cannot read the config file (${why})`);
    }
    raw = parseText(options.file, text);
    try {
      return resolveConfig(raw, options);
    } catch (error) {
      if (error instanceof ConfigError) throw new ConfigError(`${options.file}: ${error.message}`);
      throw error;
    }
  }
  return resolveConfig(raw, options);
}

function parseText(file: string, text: string): unknown {
  if (file.endsWith('.json')) {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new ConfigError(`${file}: invalid JSON (${(error as Error).message})`);
    }
  }
  try {
    return parseYaml(text);
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const where = error.linePos?.[0] ? ` at line ${error.linePos[0].line}, column ${error.linePos[0].col}` : '';
      throw new ConfigError(`${file}: invalid YAML${where} (${error.message.split('\n')[0]})`);
    }
    throw error;
  }
}

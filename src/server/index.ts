/** The Shield MCP server: configuration, startup and the types `shield verify` and the CLI use. */
export { ConfigError, DEFAULT_UPSTREAM, DEFAULT_UPSTREAM_URL, LIGHTRAG_MODES, LOG_LEVELS, lightragQueryTool, loadConfig, resolveConfig } from './config.js';
export type { BreakerConfig, ConfigFlags, LogLevel, ServerSettings, ShieldConfig, ToolConfig, UpstreamConfig } from './config.js';
export { guardOptions, startServer, VERSION } from './server.js';
export type { RunningServer, StartOptions } from './server.js';
export type { HealthBody } from './operations.js';
export { LATENCY_BUCKETS_S } from './metrics.js';
export type { CallOutcome } from './metrics.js';
export { LEGACY_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSION } from './protocol.js';

/** The lean MCP client (used by `shield invoke/tools/load` and by `shield verify`) and the `/health` reader. */
export {
  connect,
  describeNetworkError,
  McpClient,
  McpConnectError,
  McpRequestError,
  MODERN_PROTOCOL_VERSION,
  LEGACY_PROTOCOL_VERSION,
  type CallOptions,
  type ConnectOptions,
  type ProtocolChoice,
  type ToolInfo,
} from './mcp-client.js';
export { classifyResult, resultText, type CallOutcome, type ToolResult } from './outcome.js';
export { fetchHealth, HealthError, type FetchHealthOptions, type HealthSnapshot } from './health.js';
export { healthUrlFor, parseServerUrl, SERVER_URL_HINT } from './server-url.js';
export { SseReader } from './sse.js';
export { connectForCommand, requireTool } from './command-connect.js';
export { parseHeaderLines } from './headers.js';

/**
 * `--server` as the load test plan writes it (`hx-mcp1-server:8081`, meaning
 * `http://hx-mcp1-server:8081/mcp`) or as a full `http(s)://` URL.
 */
export const SERVER_URL_HINT = 'host:port (meaning http://host:port/mcp) or a full http(s):// URL';

/** Returns the MCP endpoint URL, or undefined when the text is neither form. */
export function parseServerUrl(text: string): URL | undefined {
  const trimmed = text.trim();
  if (/^https?:\/\//i.test(trimmed)) {
    try {
      return new URL(trimmed);
    } catch {
      return undefined;
    }
  }
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+):(\d{1,5})$/i.exec(trimmed);
  if (!match || Number(match[2]) > 65535) return undefined;
  return new URL(`http://${match[1]}:${match[2]}/mcp`);
}

/** The `/health` endpoint on the same host as an MCP endpoint. */
export function healthUrlFor(serverUrl: URL): URL {
  return new URL('/health', serverUrl);
}

/** `--header 'Name: value'` (repeatable) as a header record; a malformed line is a UsageError naming it. */
import { UsageError } from '../cli/exit-codes.js';

export function parseHeaderLines(lines: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = colon === -1 ? '' : line.slice(0, colon).trim();
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/i.test(name)) {
      throw new UsageError(`--header '${line}': expected 'Name: value', e.g. --header 'X-API-Key: secret'`);
    }
    headers[name.toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

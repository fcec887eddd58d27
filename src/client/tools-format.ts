/** `shield tools`: each tool with its arguments, read from its JSON Schema. */
import type { ToolInfo } from './mcp-client.js';

interface PropertySchema {
  type?: string | string[];
  enum?: unknown[];
  description?: string;
  default?: unknown;
}

function typeOf(schema: PropertySchema): string {
  if (schema.enum) return schema.enum.map((value) => JSON.stringify(value)).join('|');
  if (Array.isArray(schema.type)) return schema.type.join('|');
  return schema.type ?? 'any';
}

export function formatTools(tools: ToolInfo[]): string {
  if (tools.length === 0) return 'the server offers no tools';
  const lines: string[] = [];
  for (const tool of tools) {
    lines.push(`${tool.name}${tool.description ? `: ${tool.description.split('\n')[0]}` : ''}`);
    const schema = (tool.inputSchema ?? {}) as { properties?: Record<string, PropertySchema>; required?: string[] };
    const required = new Set(schema.required ?? []);
    const properties = Object.entries(schema.properties ?? {});
    if (properties.length === 0) lines.push('  (no arguments)');
    const width = Math.max(...properties.map(([name]) => name.length), 4);
    for (const [name, property] of properties) {
      const details = [
        typeOf(property),
        required.has(name) ? 'required' : 'optional',
        ...(property.default === undefined ? [] : [`default ${JSON.stringify(property.default)}`]),
      ].join(', ');
      lines.push(`  ${name.padEnd(width)}  ${details}${property.description ? ` — ${property.description}` : ''}`);
    }
  }
  return lines.join('\n');
}

/**
 * The tools the server offers, built from configuration: each has an MCP descriptor and a
 * validator compiled once from its JSON schema (zod's fromJSONSchema), which also fills defaults.
 */
import * as z from 'zod';
import type { ToolConfig } from './config.js';
import { ConfigError } from './config.js';

export interface Tool {
  readonly config: ToolConfig;
  /** The MCP `tools/list` entry. */
  readonly descriptor: { name: string; description: string; inputSchema: Record<string, unknown> };
  /** Validated arguments with defaults applied, or a one-line description of what is wrong. */
  validate(args: unknown): { ok: true; value: Record<string, unknown> } | { ok: false; message: string };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length > 0 ? issue.path.map(String).join('.') : '(arguments)';
  if (issue.code === 'unrecognized_keys') return `${where}: unknown argument ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  if (issue.code === 'invalid_value') return `${where}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${where}: required`;
  return `${where}: ${issue.message.replace(/^Invalid input: /, '')}`;
}

export function compileTool(config: ToolConfig): Tool {
  let schema: z.ZodType;
  try {
    schema = z.fromJSONSchema(config.inputSchema as Parameters<typeof z.fromJSONSchema>[0]);
  } catch (error) {
    throw new ConfigError(`tools.${config.name}.input_schema: not a usable JSON schema (${(error as Error).message})`);
  }
  return {
    config,
    descriptor: { name: config.name, description: config.description, inputSchema: config.inputSchema },
    validate(args) {
      const result = schema.safeParse(args ?? {});
      if (result.success) return { ok: true, value: result.data as Record<string, unknown> };
      return { ok: false, message: result.error.issues.slice(0, 3).map(describeIssue).join('; ') };
    },
  };
}

export function compileTools(configs: Record<string, ToolConfig>): ReadonlyMap<string, Tool> {
  return new Map(Object.values(configs).map((config) => [config.name, compileTool(config)]));
}

/** Writes a load report to a file whose extension picks the format: `.json`, `.md` or `.html`. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import { UsageError } from '../cli/exit-codes.js';
import type { LoadReport } from './load-report.js';

export type LoadReportFormat = 'json' | 'md' | 'html';

const FORMATS: Record<string, LoadReportFormat> = { '.json': 'json', '.md': 'md', '.markdown': 'md', '.html': 'html', '.htm': 'html' };

/** The format for a path; a UsageError naming `--report` for any other extension (checked before a run). */
export function loadReportFormat(path: string): LoadReportFormat {
  const format = FORMATS[extname(path).toLowerCase()];
  if (!format) throw new UsageError(`--report ${path}: expected a file ending in .json, .md or .html`);
  return format;
}

export async function renderLoadReport(report: LoadReport, format: LoadReportFormat): Promise<string> {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'md':
      return (await import('./load-markdown.js')).renderLoadMarkdown(report);
    case 'html':
      return (await import('./html.js')).renderLoadHtml(report);
  }
}

export async function writeLoadReport(report: LoadReport, path: string): Promise<void> {
  const text = await renderLoadReport(report, loadReportFormat(path));
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}

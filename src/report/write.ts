/** Writes the three reports of `shield verify` into one directory. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderVerifyHtml } from './html.js';
import { renderVerifyMarkdown } from './markdown.js';
import type { VerifyReport } from './verify-report.js';

export interface WrittenReports {
  json: string;
  markdown: string;
  html: string;
}

export async function writeVerifyReports(dir: string, report: VerifyReport): Promise<WrittenReports> {
  await mkdir(dir, { recursive: true });
  const paths = { json: join(dir, 'report.json'), markdown: join(dir, 'report.md'), html: join(dir, 'report.html') };
  await Promise.all([
    writeFile(paths.json, `${JSON.stringify(report, null, 2)}\n`),
    writeFile(paths.markdown, renderVerifyMarkdown(report)),
    writeFile(paths.html, renderVerifyHtml(report)),
  ]);
  return paths;
}

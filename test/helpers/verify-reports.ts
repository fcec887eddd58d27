/** Where a test file's `shield verify --report DIR` runs write, and how their JSON report is read back. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import type { VerifyReport } from '../../src/report/verify-report.js';

/** A scratch directory for the file's reports, removed when its tests are done. Call it at the top level. */
export function reportScratch(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The `report.json` a verify run wrote into `dir`. */
export function readVerifyReport(dir: string): VerifyReport {
  return JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as VerifyReport;
}

/**
 * One self-contained HTML page: text, tables and charts, with uPlot and its CSS read from
 * node_modules at render time and inlined, so the file opens offline and needs no CDN.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ChartBand, TimelineChart } from './chart.js';
import { STATE_COLORS } from './chart.js';
import { CHART_SCRIPT } from './html-script.js';
import type { Verdict } from './verify-report.js';

export interface PageTable {
  columns: string[];
  rows: Array<{ cells: string[]; verdict?: Verdict }>;
}

export interface PageSection {
  id: string;
  heading: string;
  verdict?: Verdict;
  /** Paragraphs of plain text. */
  notes: string[];
  tables: PageTable[];
  charts: TimelineChart[];
}

export interface Page {
  title: string;
  verdict?: Verdict;
  /** Label/value pairs shown under the title. */
  facts: Array<[string, string]>;
  sections: PageSection[];
}

const VERDICT_TEXT: Record<Verdict, string> = {
  pass: 'PASS',
  fail: 'FAIL',
  skipped: 'SKIPPED',
  not_run: 'NOT RUN',
  info: 'INFO',
};

const require = createRequire(import.meta.url);

function readAsset(path: string): string {
  return readFileSync(require.resolve(path), 'utf8');
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that is safe inside a `<script>` element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function badge(verdict: Verdict): string {
  return `<span class="badge ${verdict}">${VERDICT_TEXT[verdict]}</span>`;
}

function renderTable(table: PageTable): string {
  const hasVerdict = table.rows.some((row) => row.verdict !== undefined);
  const head = [...table.columns, ...(hasVerdict ? ['Result'] : [])].map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = table.rows
    .map((row) => {
      const cells = row.cells.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('');
      const verdict = hasVerdict ? `<td>${row.verdict ? badge(row.verdict) : ''}</td>` : '';
      return `<tr class="${row.verdict ?? ''}">${cells}${verdict}</tr>`;
    })
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const STATE_LABELS: Record<ChartBand['state'], string> = {
  closed: 'closed',
  open: 'open',
  half_open: 'half-open',
  unknown: 'unknown',
};

function stateLegend(charts: readonly TimelineChart[]): string {
  const states = new Set(charts.flatMap((chart) => chart.bands.map((band) => band.state)));
  if (states.size === 0) return '';
  const items = (Object.keys(STATE_LABELS) as Array<ChartBand['state']>)
    .filter((state) => states.has(state))
    .map((state) => `<span class="swatch" style="background:${STATE_COLORS[state]}"></span>${STATE_LABELS[state]}`)
    .join(' ');
  return `<div class="states">Circuit: ${items}</div>`;
}

function renderSection(section: PageSection, chartOffset: number): string {
  const heading = `<h2 id="${escapeHtml(section.id)}">${escapeHtml(section.heading)}${section.verdict ? ` ${badge(section.verdict)}` : ''}</h2>`;
  const notes = section.notes.map((note) => `<p>${escapeHtml(note)}</p>`).join('\n');
  const tables = section.tables.filter((table) => table.rows.length > 0).map(renderTable).join('\n');
  const charts = section.charts
    .map((chart, i) => `<figure class="chart" data-chart="${chartOffset + i}"><figcaption>${escapeHtml(chart.title)}</figcaption></figure>`)
    .join('\n');
  return `<section>${heading}\n${notes}\n${tables}\n${section.charts.length ? stateLegend(section.charts) : ''}<div class="charts">${charts}</div></section>`;
}

const PAGE_CSS = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 24px; margin: 0 0 8px; display: flex; align-items: center; gap: 12px; }
h2 { font-size: 18px; margin: 0 0 10px; display: flex; align-items: center; gap: 10px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin: 18px 0; }
p { margin: 6px 0; color: var(--muted); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0 0; color: var(--muted); }
dt { font-weight: 600; color: var(--fg); }
dd { margin: 0; }
table { border-collapse: collapse; width: 100%; margin: 10px 0; font-size: 13px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--bg); font-weight: 600; }
tr.fail td { background: #fff5f5; }
.badge { display: inline-block; white-space: nowrap; font-size: 11px; font-weight: 700; letter-spacing: .04em; padding: 2px 8px; border-radius: 10px; color: #fff; vertical-align: middle; }
.badge.pass { background: #1a7f37; } .badge.fail { background: #cf222e; } .badge.skipped { background: #9a6700; }
.badge.not_run, .badge.info { background: #6e7781; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 14px; }
figure.chart { margin: 0; min-width: 0; }
figcaption { font-weight: 600; font-size: 13px; margin-bottom: 4px; }
.states { color: var(--muted); font-size: 12px; margin: 8px 0 4px; }
.swatch { display: inline-block; width: 14px; height: 10px; margin: 0 4px 0 8px; border: 1px solid var(--line); vertical-align: middle; }
.uplot .u-legend { font-size: 12px; text-align: left; }
footer { color: var(--muted); font-size: 12px; text-align: center; }
`;

/** Renders the page as one HTML document with everything it needs inlined. */
export function renderPage(page: Page): string {
  const charts: TimelineChart[] = [];
  const sections = page.sections.map((section) => {
    const html = renderSection(section, charts.length);
    charts.push(...section.charts);
    return html;
  });
  const facts = page.facts.map(([label, value]) => `<dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}</dd>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style>${readAsset('uplot/dist/uPlot.min.css')}</style>
<style>${PAGE_CSS}</style>
</head>
<body>
<main>
<header><h1>${escapeHtml(page.title)}${page.verdict ? ` ${badge(page.verdict)}` : ''}</h1><dl>${facts}</dl></header>
${sections.join('\n')}
<footer>Generated by Shield. Charts: uPlot (MIT), inlined.</footer>
</main>
<script type="application/json" id="shield-charts">${scriptJson({ charts, state_colors: STATE_COLORS })}</script>
<script>${readAsset('uplot/dist/uPlot.iife.min.js')}</script>
<script>${CHART_SCRIPT}</script>
</body>
</html>
`;
}

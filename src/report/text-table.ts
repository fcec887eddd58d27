/** A plain-text table for terminals: columns sized to a total width, long cells wrapped onto more lines. */

export interface TextTableOptions {
  /** Total width in characters. */
  width: number;
  /** Relative widths of the columns; a column whose share is 0 is sized to its longest cell. */
  shares: number[];
  /** Applied to each rendered cell, e.g. to colour a verdict; gets the column index and raw text. */
  decorate?: (column: number, text: string, padded: string) => string;
  indent?: string;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    let rest = word;
    while (rest.length > width) {
      if (line !== '') {
        lines.push(line);
        line = '';
      }
      lines.push(rest.slice(0, width));
      rest = rest.slice(width);
    }
    if (line === '') line = rest;
    else if (line.length + 1 + rest.length <= width) line += ` ${rest}`;
    else {
      lines.push(line);
      line = rest;
    }
  }
  if (line !== '' || lines.length === 0) lines.push(line);
  return lines;
}

export function renderTextTable(header: string[], rows: string[][], options: TextTableOptions): string {
  const indent = options.indent ?? '  ';
  const gap = 2;
  const all = [header, ...rows];
  const natural = header.map((_, c) => Math.max(...all.map((row) => (row[c] ?? '').length)));
  const fixed = natural.map((n, c) => (options.shares[c] === 0 ? n : 0));
  const flexible = options.width - indent.length - gap * (header.length - 1) - fixed.reduce((a, b) => a + b, 0);
  const totalShare = options.shares.reduce((a, b) => a + b, 0) || 1;
  const widths = natural.map((n, c) => {
    const share = options.shares[c] ?? 0;
    if (share === 0) return n;
    return Math.max(8, Math.min(n, Math.floor((flexible * share) / totalShare)));
  });
  const render = (row: string[], isHeader: boolean): string => {
    const cells = widths.map((w, c) => wrap(row[c] ?? '', w));
    const height = Math.max(...cells.map((lines) => lines.length));
    const lines: string[] = [];
    for (let i = 0; i < height; i++) {
      const parts = widths.map((w, c) => {
        const text = cells[c]![i] ?? '';
        const padded = text.padEnd(w);
        return !isHeader && options.decorate && i === 0 ? options.decorate(c, text, padded) : padded;
      });
      lines.push(`${indent}${parts.join(' '.repeat(gap))}`.trimEnd());
    }
    return lines.join('\n');
  };
  const rule = `${indent}${widths.map((w) => '─'.repeat(w)).join(' '.repeat(gap))}`;
  return [render(header, true), rule, ...rows.map((row) => render(row, false))].join('\n');
}

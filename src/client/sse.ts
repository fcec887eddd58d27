/**
 * An incremental reader of `text/event-stream` bodies as MCP servers send them: `:` comment lines
 * and events without data (priming events) are skipped, multi-line `data:` fields are joined with
 * `\n`, and lines may end in `\n`, `\r\n` or `\r`, split anywhere across chunks.
 */
export class SseReader {
  private buffer = '';
  private data: string[] = [];
  private eventType = '';
  /** A chunk ended in `\r`: a following `\n` belongs to the same line break. */
  private pendingCarriageReturn = false;

  constructor(private readonly onMessage: (data: string, eventType: string) => void) {}

  push(chunk: string): void {
    let text = chunk;
    if (this.pendingCarriageReturn && text.startsWith('\n')) text = text.slice(1);
    this.pendingCarriageReturn = false;
    this.buffer += text;
    let start = 0;
    for (;;) {
      const lf = this.buffer.indexOf('\n', start);
      const cr = this.buffer.indexOf('\r', start);
      if (lf === -1 && cr === -1) break;
      let end: number;
      let next: number;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        end = cr;
        if (cr + 1 === this.buffer.length) {
          this.pendingCarriageReturn = true;
          next = cr + 1;
        } else {
          next = this.buffer[cr + 1] === '\n' ? cr + 2 : cr + 1;
        }
      } else {
        end = lf;
        next = lf + 1;
      }
      this.line(this.buffer.slice(start, end));
      start = next;
    }
    this.buffer = this.buffer.slice(start);
  }

  /** The stream ended: an event not terminated by a blank line is dropped, as the SSE spec says. */
  end(): void {
    this.buffer = '';
    this.data = [];
    this.eventType = '';
  }

  private line(line: string): void {
    if (line === '') {
      const data = this.data.join('\n');
      if (data !== '') this.onMessage(data, this.eventType || 'message');
      this.data = [];
      this.eventType = '';
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.eventType = value;
  }
}

import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { SseReader } from './sse.js';

function read(chunks: string[]): Array<[string, string]> {
  const events: Array<[string, string]> = [];
  const reader = new SseReader((data, type) => events.push([type, data]));
  for (const chunk of chunks) reader.push(chunk);
  reader.end();
  return events;
}

const STREAM = ': comment\r\n\r\nid: 1\r\ndata:\r\n\r\nevent: message\r\ndata: {"a":\r\ndata: 1}\r\n\r\ndata: second\n\n: trailing\rdata: third\r\r';

it('skips comments and empty priming events, joins multi-line data, handles every line ending', () => {
  assert.deepEqual(read([STREAM]), [
    ['message', '{"a":\n1}'],
    ['message', 'second'],
    ['message', 'third'],
  ]);
});

it('gives the same events however the stream is split into chunks', () => {
  const whole = read([STREAM]);
  fc.assert(
    fc.property(fc.array(fc.nat(STREAM.length), { maxLength: 8 }), (cuts) => {
      const points = [...new Set(cuts)].sort((a, b) => a - b);
      const chunks: string[] = [];
      let last = 0;
      for (const point of points) {
        chunks.push(STREAM.slice(last, point));
        last = point;
      }
      chunks.push(STREAM.slice(last));
      assert.deepEqual(read(chunks), whole);
    }),
  );
});

it('drops an event the stream cut off before its blank line', () => {
  assert.deepEqual(read(['data: complete\n\ndata: cut']), [['message', 'complete']]);
});

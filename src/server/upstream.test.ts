import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileTemplate } from './upstream.js';

describe('compileTemplate', () => {
  it('a whole {{arg}} keeps the value and its type; an absent one drops the key', () => {
    const render = compileTemplate({ query: '{{query}}', mode: '{{mode}}', top_k: '{{ k }}', flags: ['{{a}}', '{{b}}'] });
    assert.deepEqual(render({ query: 'q', k: 5, a: true }), { query: 'q', top_k: 5, flags: [true] });
  });

  it('placeholders inside a longer string become text; literals stay as they are', () => {
    const render = compileTemplate({ prompt: 'Q: {{query}} ({{mode}})', stream: false, n: 3, nested: { fixed: 'x' } });
    assert.deepEqual(render({ query: 'why', mode: 'mix' }), { prompt: 'Q: why (mix)', stream: false, n: 3, nested: { fixed: 'x' } });
    assert.deepEqual(render({}), { prompt: 'Q:  ()', stream: false, n: 3, nested: { fixed: 'x' } });
  });
});

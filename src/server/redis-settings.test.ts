import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultNamespace, parseStateUrl, validateStateName } from './redis-settings.js';

test('the state URL and names are checked with a message saying what was expected', () => {
  assert.equal(parseStateUrl('redis://cache:6379/2'), 'redis://cache:6379/2');
  assert.throws(() => parseStateUrl('cache:6379'), /redis:\/\/ or rediss:\/\/ URL/);
  assert.throws(() => parseStateUrl('not a url'), /URL like redis:\/\/host:6379\/0/);
  assert.throws(() => parseStateUrl('redis://cache:6379/zero'), /database number/);
  assert.equal(validateStateName('namespace', 'prod-eu.1'), 'prod-eu.1');
  assert.throws(() => validateStateName('namespace', 'a:b'), /state namespace 'a:b' must be 1-100 letters/);
  assert.throws(() => validateStateName('upstream', ''), /state upstream '' must be/);
});

test('the default namespace is the config file name, made safe, or shield', () => {
  assert.equal(defaultNamespace(), 'shield');
  assert.equal(defaultNamespace('/etc/shield/prod-eu.yaml'), 'prod-eu');
  assert.equal(defaultNamespace('configs/my shield (2).json'), 'my-shield-2-');
});

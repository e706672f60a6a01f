import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSafeBankPage } from '../../main/resources/META-INF/resources/views/link.js';

test('the person is sent only to an https bank page, or to a sandbox bank on this computer', () => {
  assert.equal(isSafeBankPage('https://bank.example/authorise?request=az_1'), true);
  assert.equal(isSafeBankPage('http://127.0.0.1:8083/bank/authorise?request=az_1'), true);
  assert.equal(isSafeBankPage('http://localhost:8083/bank/authorise'), true);
  for (const url of ['http://bank.example/authorise', 'javascript:alert(1)', 'data:text/html,<p>x</p>',
    'ftp://bank.example/', '/relative', 'not a url', 'http://127.0.0.1.evil.example/']) {
    assert.equal(isSafeBankPage(url), false, url);
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { moneyToDecimalString, formatMoney, multiplyMoney } from '../../main/resources/META-INF/resources/money.js';

test('decimal string from units and nanos', () => {
  assert.equal(moneyToDecimalString({ units: '12', nanos: 0 }), '12');
  assert.equal(moneyToDecimalString({ units: '1234', nanos: 500000000 }), '1234.5');
  assert.equal(moneyToDecimalString({ units: '-1', nanos: -750000000 }), '-1.75');
  assert.equal(moneyToDecimalString({ units: '0', nanos: -10000000 }), '-0.01');
  assert.equal(moneyToDecimalString({ nanos: 1 }), '0.000000001');
  assert.equal(moneyToDecimalString({ units: 19, nanos: 990000000 }), '19.99');
  assert.equal(moneyToDecimalString({}), '0');
});

test('amounts beyond double precision stay exact', () => {
  assert.equal(moneyToDecimalString({ units: '9007199254740993', nanos: 100000000 }), '9007199254740993.1');
  assert.equal(formatMoney({ currency: 'USD', units: '9007199254740993', nanos: 10000000 }, 'en-US'), '$9,007,199,254,740,993.01');
});

test('no floating point artefacts: 0.1 + 0.2 style values format exactly', () => {
  assert.equal(formatMoney({ currency: 'EUR', units: '0', nanos: 300000000 }, 'en-GB'), '€0.30');
  assert.equal(formatMoney({ currency: 'EUR', units: '1', nanos: 5000000 }, 'en-GB'), '€1.005');
});

test('formats in the locale with the currency minor unit', () => {
  assert.equal(formatMoney({ currency: 'EUR', units: '1234', nanos: 500000000 }, 'en-GB'), '€1,234.50');
  assert.equal(formatMoney({ currency: 'EUR', units: '-1', nanos: -750000000 }, 'de-DE').replace(/\s/g, ' '), '-1,75 €');
  assert.equal(formatMoney({ currency: 'JPY', units: '1500' }, 'en-US'), '¥1,500');
});

test('mismatched signs and out-of-range nanos are refused', () => {
  assert.throws(() => moneyToDecimalString({ units: '1', nanos: -1 }), RangeError);
  assert.throws(() => moneyToDecimalString({ units: '1', nanos: 1000000000 }), RangeError);
  assert.throws(() => moneyToDecimalString({ units: '1.5' }), TypeError);
});

test('line totals multiply exactly', () => {
  assert.deepEqual(multiplyMoney({ currency: 'EUR', units: '2', nanos: 990000000 }, 3), { currency: 'EUR', units: '8', nanos: 970000000 });
  assert.equal(formatMoney(multiplyMoney({ currency: 'EUR', units: '0', nanos: 100000000 }, 3), 'en-GB'), '€0.30');
});

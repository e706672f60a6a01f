// Money (commercechat.common.v1.Money) as text, without floating point: the exact decimal string
// is built from units and nanos, and Intl.NumberFormat formats that string (ES2023 accepts
// decimal strings and keeps their precision).

const NANOS_DIGITS = 9;

/** Units arrive as a JSON string (protobuf JSON maps int64 to a string) or a number. */
function toBigInt(value) {
  if (value === undefined || value === null || value === '') return 0n;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new TypeError('Money units must be a whole number');
    return BigInt(value);
  }
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return BigInt(value.trim());
  throw new TypeError(`not a whole number: ${value}`);
}

/**
 * The exact decimal value, e.g. {units: "-1", nanos: -750000000} -> "-1.75",
 * {units: "12"} -> "12". Units and nanos carry the same sign.
 */
export function moneyToDecimalString(money) {
  const units = toBigInt(money?.units);
  const nanos = toBigInt(money?.nanos);
  if (nanos <= -1000000000n || nanos >= 1000000000n) throw new RangeError('nanos out of range');
  if ((units > 0n && nanos < 0n) || (units < 0n && nanos > 0n)) {
    throw new RangeError('units and nanos must have the same sign');
  }
  const negative = units < 0n || nanos < 0n;
  const absUnits = units < 0n ? -units : units;
  const absNanos = nanos < 0n ? -nanos : nanos;
  const fraction = absNanos.toString().padStart(NANOS_DIGITS, '0').replace(/0+$/, '');
  const text = fraction ? `${absUnits}.${fraction}` : `${absUnits}`;
  return negative && (absUnits !== 0n || absNanos !== 0n) ? `-${text}` : text;
}

const formatters = new Map();

function formatter(locale, currency, fractionDigits) {
  const key = `${locale}|${currency}|${fractionDigits}`;
  let f = formatters.get(key);
  if (!f) {
    const base = new Intl.NumberFormat(locale, { style: 'currency', currency });
    const min = base.resolvedOptions().minimumFractionDigits;
    f = new Intl.NumberFormat(locale, {
      style: 'currency',
      currency,
      minimumFractionDigits: min,
      maximumFractionDigits: Math.max(min, fractionDigits),
    });
    formatters.set(key, f);
  }
  return f;
}

/**
 * Money for display in the person's locale, e.g. "€1,234.50". Never rounds away precision: an
 * amount with more fraction digits than the currency usually shows keeps all of them.
 */
export function formatMoney(money, locale = undefined) {
  if (!money) return '';
  const decimal = moneyToDecimalString(money);
  const currency = (money.currency || '').toUpperCase();
  const digits = decimal.includes('.') ? decimal.split('.')[1].length : 0;
  if (!/^[A-Z]{3}$/.test(currency)) return decimal;
  return formatter(locale, currency, digits).format(decimal);
}

/** Multiplies a Money by a whole quantity exactly (for receipt line totals). */
export function multiplyMoney(money, quantity) {
  const q = BigInt(quantity);
  const total = (toBigInt(money?.units) * 1000000000n + toBigInt(money?.nanos)) * q;
  return { currency: money?.currency, units: (total / 1000000000n).toString(), nanos: Number(total % 1000000000n) };
}

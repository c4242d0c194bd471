// Amounts in their currency, exactly: the API's decimal strings ("1000000.00") are never
// turned into a JS number (a float loses cents past 2^53); the digits are grouped by
// Intl.NumberFormat over a BigInt. Integers are read as minor units (the API's amounts
// before decimal strings).
import type { Lang } from "./i18n/messages";

const LOCALES: Record<Lang, string> = { zh: "zh-CN", en: "en-US" };
const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

/** Digits after the decimal point of `currency` (CNY 2, JPY 0), as Intl knows them. */
export function currencyExponent(currency: string): number {
  return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions()
    .maximumFractionDigits ?? 2;
}

/** A decimal string of `value`: as it is if a string, else minor units of `currency`. */
export function toDecimal(value: string | number | bigint, currency: string): string {
  if (typeof value === "string") {
    if (!DECIMAL.test(value)) {
      throw new RangeError(`not a decimal amount: ${JSON.stringify(value)}`);
    }
    return value;
  }
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    throw new RangeError(`not a whole number of minor units: ${value}`);
  }
  const minor = BigInt(value);
  const exponent = currencyExponent(currency);
  const digits = (minor < 0n ? -minor : minor).toString().padStart(exponent + 1, "0");
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = digits.slice(digits.length - exponent);
  return (minor < 0n ? "-" : "") + whole + (exponent > 0 ? "." + fraction : "");
}

/** `value` in `currency` for `lang`: "¥1,000,000.00" (zh), "CN¥1,000,000.00" (en). */
export function formatMoney(value: string | number | bigint, currency: string, lang: Lang): string {
  const decimal = toDecimal(value, currency);
  const match = DECIMAL.exec(decimal);
  if (match === null) {
    throw new RangeError(`not a decimal amount: ${decimal}`);
  }
  const [, sign, whole = "0", given = ""] = match;
  const exponent = currencyExponent(currency);
  // At least the currency's digits; more only if the API sent more (never rounded away).
  const fraction = given.length >= exponent ? given : given.padEnd(exponent, "0");
  const format = new Intl.NumberFormat(LOCALES[lang], {
    style: "currency",
    currency,
    minimumFractionDigits: 0,
    maximumFractionDigits: 0,
  });
  const integer = BigInt(whole);
  // -0 keeps its sign for "-0.50"; a BigInt has no negative zero.
  const parts = format.formatToParts(sign ? (integer === 0n ? -0 : -integer) : integer);
  const separator =
    new Intl.NumberFormat(LOCALES[lang]).formatToParts(1.5).find((p) => p.type === "decimal")
      ?.value ?? ".";
  let out = "";
  let lastInteger = -1;
  parts.forEach((p, i) => {
    if (p.type === "integer") lastInteger = i;
  });
  parts.forEach((p, i) => {
    out += p.value;
    if (i === lastInteger && fraction.length > 0) {
      out += separator + fraction;
    }
  });
  return out;
}

// Decimal amounts typed by a user, checked and compared exactly: a decimal string becomes a
// BigInt of minor units and back, never a JS number (money.ts formats; this computes).

const TYPED = /^\d+(?:\.(\d+))?$/;

/** Minor units of a decimal string with at most `exponent` fraction digits, else null. */
export function toMinor(text: string, exponent: number): bigint | null {
  const trimmed = text.trim();
  const match = TYPED.exec(trimmed);
  if (match === null) return null;
  const fraction = match[1] ?? "";
  if (fraction.length > exponent) return null;
  const [whole = "0"] = trimmed.split(".");
  return BigInt(whole + fraction.padEnd(exponent, "0"));
}

/** The decimal string of `minor` units ("1234.50" for 123450n at exponent 2). */
export function fromMinor(minor: bigint, exponent: number): string {
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(exponent + 1, "0");
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = exponent > 0 ? "." + digits.slice(digits.length - exponent) : "";
  return (negative ? "-" : "") + whole + fraction;
}

/** A non-negative decimal string rounded half up to `places` ("36.4905830753" -> "36.49"). */
export function roundDecimal(text: string, places: number): string {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (match === null) return text;
  const [, whole = "0", fraction = ""] = match;
  if (fraction.length <= places) return places === 0 ? whole : `${whole}.${fraction.padEnd(places, "0")}`;
  const kept = BigInt(whole + fraction.slice(0, places));
  const up = Number(fraction[places]) >= 5 ? 1n : 0n;
  return fromMinor(kept + up, places);
}

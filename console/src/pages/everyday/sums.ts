// Exact sums of the API's decimal strings: BigInt over the currency's minor units (never a
// JS number), and the grouping of pieces the calendar and the portfolio charts share.
import type { Piece } from "../../api/client";
import { currencyExponent, toDecimal } from "../../money";

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** A decimal string of the API ("1234.50" CNY) in minor units of `currency` (123450n). */
export function toMinor(value: string, currency: string): bigint {
  const match = DECIMAL.exec(value);
  if (match === null) throw new RangeError(`not a decimal amount: ${JSON.stringify(value)}`);
  const [, whole = "0", fraction = ""] = match;
  const exponent = currencyExponent(currency);
  if (fraction.replace(/0+$/, "").length > exponent) {
    throw new RangeError(`${value} has more digits than ${currency} has minor units`);
  }
  return BigInt(whole + fraction.padEnd(exponent, "0").slice(0, exponent));
}

/** The exact sum of decimal strings of one currency, as a decimal string. */
export function sumAmounts(values: string[], currency: string): string {
  return toDecimal(
    values.reduce((total, v) => total + toMinor(v, currency), 0n),
    currency,
  );
}

/** A decimal string as a number of currency units, for a chart's axis only (never summed). */
export function chartUnits(value: string): number {
  return Number(value);
}

/** Pieces whose value is still to be paid by the debtor (not closed, not refused). */
export const OPEN_STATES = new Set([
  "pending",
  "active",
  "financing",
  "financed",
  "overdue",
  "awaiting_confirmation",
  "defaulted",
]);

export interface Group {
  key: string;
  currency: string;
  total: string;
  count: number;
}

/** Pieces grouped by `keyOf` and currency, each group's exact total; largest count first. */
export function groupTotals(pieces: Piece[], keyOf: (p: Piece) => string): Group[] {
  const groups = new Map<string, { key: string; currency: string; values: string[] }>();
  for (const p of pieces) {
    const key = keyOf(p);
    const currency = p.receivable.currency;
    const id = `${key}\u0000${currency}`;
    const group = groups.get(id) ?? { key, currency, values: [] };
    group.values.push(p.value);
    groups.set(id, group);
  }
  return [...groups.values()].map((g) => ({
    key: g.key,
    currency: g.currency,
    total: sumAmounts(g.values, g.currency),
    count: g.values.length,
  }));
}

/** Every page of a list (cursor by cursor), at most `maxPages` pages: `complete` says
 * whether the end was reached. For summaries that need the whole set (charts, calendar). */
export async function allPages<T>(
  load: (cursor: string | undefined) => Promise<{ items: T[]; next_cursor?: string | null }>,
  maxPages = 20,
): Promise<{ items: T[]; complete: boolean }> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const found = await load(cursor);
    items.push(...found.items);
    if (found.next_cursor === null || found.next_cursor === undefined) {
      return { items, complete: true };
    }
    cursor = found.next_cursor;
  }
  return { items, complete: false };
}

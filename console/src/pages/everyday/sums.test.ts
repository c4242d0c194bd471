import { describe, expect, it } from "vitest";
import type { Piece } from "../../api/client";
import { allPages, groupTotals, sumAmounts, toMinor } from "./sums";

function piece(value: string, holder: string, currency = "CNY"): Piece {
  return { value, holder, receivable: { currency } } as unknown as Piece;
}

describe("sums", () => {
  it("reads decimal strings as minor units exactly", () => {
    expect(toMinor("1234.50", "CNY")).toBe(123450n);
    expect(toMinor("7", "CNY")).toBe(700n);
    expect(toMinor("5000", "JPY")).toBe(5000n);
    expect(toMinor("1.500", "CNY")).toBe(150n); // trailing zeros beyond the minor digits
    expect(() => toMinor("1.005", "CNY")).toThrow(RangeError);
    expect(() => toMinor("-1.00", "CNY")).toThrow(RangeError);
    expect(() => toMinor("1e3", "CNY")).toThrow(RangeError);
  });

  it("sums past 2^53 without losing a cent", () => {
    // 0.1 + 0.2 and 2^53 + 1 cents would both be wrong as floats.
    expect(sumAmounts(["0.10", "0.20"], "CNY")).toBe("0.30");
    expect(sumAmounts(["90071992547409.91", "0.01"], "CNY")).toBe("90071992547409.92");
    expect(sumAmounts([], "CNY")).toBe("0.00");
  });

  it("groups by key and currency, each with its exact total", () => {
    const groups = groupTotals(
      [piece("1.10", "a"), piece("2.20", "a"), piece("5", "a", "JPY"), piece("3.00", "b")],
      (p) => p.holder,
    );
    expect(groups).toEqual([
      { key: "a", currency: "CNY", total: "3.30", count: 2 },
      { key: "a", currency: "JPY", total: "5", count: 1 },
      { key: "b", currency: "CNY", total: "3.00", count: 1 },
    ]);
  });

  it("reads every page, and says when it stopped short", async () => {
    const pages: Record<string, { items: number[]; next_cursor: string | null }> = {
      start: { items: [1, 2], next_cursor: "2" },
      "2": { items: [3], next_cursor: null },
    };
    const load = (cursor: string | undefined) => Promise.resolve(pages[cursor ?? "start"] ?? { items: [], next_cursor: null });
    expect(await allPages(load)).toEqual({ items: [1, 2, 3], complete: true });
    expect(await allPages(load, 1)).toEqual({ items: [1, 2], complete: false });
  });
});

import { describe, expect, it } from "vitest";
import { currencyExponent, formatMoney, toDecimal } from "./money";

describe("formatMoney", () => {
  it("groups a decimal string exactly, past what a float holds", () => {
    // 2^53 + 1 yuan and one fen: a JS number would print ...992.00
    expect(formatMoney("9007199254740993.01", "CNY", "en")).toBe("CN¥9,007,199,254,740,993.01");
  });

  it("writes Chinese yuan with the yuan sign in zh", () => {
    expect(formatMoney("1000000.00", "CNY", "zh")).toBe("¥1,000,000.00");
  });

  it("reads integers as minor units of the currency", () => {
    expect(formatMoney(123456, "CNY", "en")).toBe("CN¥1,234.56");
    expect(formatMoney(5, "CNY", "en")).toBe("CN¥0.05");
    expect(formatMoney(1234, "JPY", "en")).toBe("¥1,234");
  });

  it("pads a short fraction and keeps a long one", () => {
    expect(formatMoney("12.5", "USD", "en")).toBe("$12.50");
    expect(formatMoney("0.125", "USD", "en")).toBe("$0.125");
  });

  it("keeps the sign of a negative amount under one unit", () => {
    expect(formatMoney("-0.50", "USD", "en")).toBe("-$0.50");
    expect(formatMoney(-150, "USD", "en")).toBe("-$1.50");
  });

  it("refuses what is not an amount", () => {
    expect(() => formatMoney("1e6", "CNY", "en")).toThrow(RangeError);
    expect(() => formatMoney(0.5, "CNY", "en")).toThrow(RangeError);
  });
});

describe("toDecimal", () => {
  it("places the point by the currency's exponent", () => {
    expect(currencyExponent("CNY")).toBe(2);
    expect(currencyExponent("JPY")).toBe(0);
    expect(toDecimal(100000000n, "CNY")).toBe("1000000.00");
    expect(toDecimal("7.00", "CNY")).toBe("7.00");
  });
});

import { describe, expect, it } from "vitest";
import { fromMinor, roundDecimal, toMinor } from "./decimal";

describe("toMinor", () => {
  it("reads decimal strings exactly, past 2^53", () => {
    expect(toMinor("2500.5", 2)).toBe(250050n);
    expect(toMinor(" 12 ", 2)).toBe(1200n);
    expect(toMinor("90071992547409931.23", 2)).toBe(9007199254740993123n);
    expect(toMinor("15", 0)).toBe(15n);
  });

  it("refuses what is not an amount of the currency", () => {
    expect(toMinor("1.234", 2)).toBeNull();
    expect(toMinor("1.5", 0)).toBeNull();
    expect(toMinor("-1", 2)).toBeNull();
    expect(toMinor("1e3", 2)).toBeNull();
    expect(toMinor("", 2)).toBeNull();
    expect(toMinor("1,000", 2)).toBeNull();
  });
});

describe("fromMinor", () => {
  it("writes minor units back as a decimal string", () => {
    expect(fromMinor(250050n, 2)).toBe("2500.50");
    expect(fromMinor(5n, 2)).toBe("0.05");
    expect(fromMinor(-5n, 2)).toBe("-0.05");
    expect(fromMinor(15n, 0)).toBe("15");
    expect(fromMinor(9007199254740993123n, 2)).toBe("90071992547409931.23");
  });
});

describe("roundDecimal", () => {
  it("rounds half up without floating point", () => {
    expect(roundDecimal("36.4905830753", 2)).toBe("36.49");
    expect(roundDecimal("48.145", 2)).toBe("48.15");
    expect(roundDecimal("9.995", 2)).toBe("10.00");
    expect(roundDecimal("7.1", 2)).toBe("7.10");
    expect(roundDecimal("12", 2)).toBe("12.00");
    expect(roundDecimal("0.004", 2)).toBe("0.00");
  });
});

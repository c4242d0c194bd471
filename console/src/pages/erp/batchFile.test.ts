import { describe, expect, it } from "vitest";
import { csvRows, readBatch, templateCsv } from "./batchFile";

describe("readBatch", () => {
  it("reads a CSV's kind from its header and keeps every cell as text", () => {
    const read = readBatch("run.csv", "\uFEFFslot,token_ids,payment_ref\r\n3,7;9,WIRE-1\r\n4,8,\"A, B\"\r\n");
    expect(read.kind).toBe("settlement");
    expect(read.lines).toEqual([
      { slot: "3", token_ids: "7;9", payment_ref: "WIRE-1" },
      { slot: "4", token_ids: "8", payment_ref: "A, B" },
    ]);
  });

  it("reads the kind of a JSON batch and joins token ids", () => {
    const read = readBatch("run.json", '{"kind":"settlement","lines":[{"slot":3,"token_ids":[7,9],"payment_ref":"W"}]}');
    expect(read.format).toBe("json");
    expect(read.lines).toEqual([{ slot: "3", token_ids: "7;9", payment_ref: "W" }]);
  });

  it("names no kind for columns of neither", () => {
    expect(readBatch("x.csv", "slot,creditor\n1,2\n").kind).toBeNull();
  });

  it("refuses JSON that is no batch", () => {
    expect(() => readBatch("x.json", "[1]")).toThrow(SyntaxError);
  });

  it("keeps amounts exactly as written", () => {
    const read = readBatch("i.csv", templateCsv("receivable.issue"));
    expect(read.kind).toBe("receivable.issue");
    expect(read.lines[0]?.face_amount).toBe("1000000.00");
  });
});

describe("csvRows", () => {
  it("reads quoted quotes and line breaks, and skips empty lines", () => {
    expect(csvRows('a,"b ""c""\nd"\n\n1,2')).toEqual([["a", 'b "c"\nd'], ["1", "2"]]);
  });
});

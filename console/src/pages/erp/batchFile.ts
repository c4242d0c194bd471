// An ERP batch file read in the browser before it is sent (docs/gateway.md#batches): its kind
// (from a JSON batch's `kind`, or a CSV's header), its lines for the preview, and the
// template CSV of each kind. The gateway checks every line again; this only shows them.

export type BatchKind = "receivable.issue" | "settlement";

/** The columns of each kind's CSV: the fields of its single write's body. */
export const COLUMNS: Record<BatchKind, string[]> = {
  "receivable.issue": ["creditor", "face_amount", "currency", "due_date", "document_hash"],
  settlement: ["slot", "token_ids", "payment_ref"],
};

const TEMPLATE_LINES: Record<BatchKind, string[]> = {
  "receivable.issue": [
    "0x8ba1f109551bD432803012645Ac136ddd64DBA72,1000000.00,CNY,1798761600," +
      "0x9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
  ],
  settlement: ["3,7;9,WIRE-2026-0003"],
};

/** The template CSV of `kind`: its header and one example line. */
export function templateCsv(kind: BatchKind): string {
  return [COLUMNS[kind].join(","), ...TEMPLATE_LINES[kind]].join("\r\n") + "\r\n";
}

export interface ReadBatch {
  format: "csv" | "json";
  kind: BatchKind | null; // null: the CSV's header names neither kind's columns
  columns: string[];
  lines: Record<string, string>[];
}

/** RFC 4180 rows: quoted cells may hold commas, quotes ("") and line breaks. */
export function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else {
      cell += c;
    }
  }
  if (cell !== "" || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows.filter((r) => r.length > 1 || (r[0] ?? "") !== "");
}

function kindOfColumns(columns: string[]): BatchKind | null {
  for (const kind of Object.keys(COLUMNS) as BatchKind[]) {
    const known = COLUMNS[kind];
    if (columns.length > 0 && columns.every((c) => known.includes(c))) return kind;
  }
  return null;
}

function cellText(value: unknown): string {
  if (Array.isArray(value)) return value.map(cellText).join(";");
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/** The file's lines as text cells; throws a SyntaxError for JSON that is no batch. */
export function readBatch(name: string, text: string): ReadBatch {
  const body = text.replace(/^\uFEFF/, "");
  if (name.toLowerCase().endsWith(".json") || body.trimStart().startsWith("{")) {
    const parsed = JSON.parse(body) as { kind?: unknown; lines?: unknown };
    if (typeof parsed !== "object" || !Array.isArray(parsed.lines)) {
      throw new SyntaxError("a JSON batch is {kind, lines}");
    }
    const kind = parsed.kind === "receivable.issue" || parsed.kind === "settlement" ? parsed.kind : null;
    const lines = (parsed.lines as unknown[]).map((line) =>
      Object.fromEntries(
        Object.entries(typeof line === "object" && line !== null ? line : {}).map(([k, v]) => [
          k,
          cellText(v),
        ]),
      ),
    );
    const columns = kind === null ? [...new Set(lines.flatMap((l) => Object.keys(l)))] : COLUMNS[kind];
    return { format: "json", kind, columns, lines };
  }
  const [header = [], ...rows] = csvRows(body);
  const columns = header.map((c) => c.trim());
  const lines = rows.map((cells) => Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? ""])));
  return { format: "csv", kind: kindOfColumns(columns), columns, lines };
}

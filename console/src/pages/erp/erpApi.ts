// The calls of the ERP screens: a batch posted as the file's own text (CSV with its kind, or
// JSON), a batch's progress, a settlement finalized after a silent payee, a statement's or a
// reconciliation's file saved from its Blob, and whether a participant has single sign-on.
import { api, idempotencyKey, type Schemas } from "../../api/client";
import { must } from "../../api/problems";
import { outcome, waiting, type Outcome } from "../../api/writes";
import type { BatchKind, ReadBatch } from "./batchFile";

export type Batch = Schemas["BatchOut"];
export type BatchLine = Schemas["BatchLineOut"];

/** Posts the file's own bytes under `key` (the same key and lines again answer the same
 * batch): CSV as text/csv with its kind, JSON as it is. The gateway reads and checks them
 * (a CSV that is not UTF-8 is its `batch-invalid`, not the browser's guess). */
export async function postBatch(file: Blob, format: ReadBatch["format"], kind: BatchKind, key: string): Promise<Batch> {
  return must(
    await api.POST("/v1/batches", {
      params: { header: { "Idempotency-Key": key }, query: { kind } },
      body: "",
      bodySerializer: () => file,
      headers: { "Content-Type": format === "csv" ? "text/csv" : "application/json" },
    }),
  );
}

export async function getBatch(id: number, cursor: string | undefined, limit: number): Promise<Batch> {
  return must(
    await api.GET("/v1/batches/{batch_id}", { params: { path: { batch_id: id }, query: { cursor, limit } } }),
  );
}

/** Settles a piece whose payee neither confirmed nor disputed within the window (the debtor). */
export async function finalizeSettlement(tokenId: number): Promise<Outcome> {
  return outcome(
    must(
      await api.POST("/v1/settlements/{token_id}/finalize", {
        params: {
          path: { token_id: tokenId },
          header: { "Idempotency-Key": idempotencyKey() },
          query: waiting,
        },
      }),
    ),
  );
}

export interface Period {
  from: string;
  to: string;
  tz: string;
}

const FILE_NAME = /filename="?([^";]+)"?/;

/** Fetches the statement's or reconciliation's file with the session and saves it. */
export async function download(
  what: "/v1/statements" | "/v1/reconciliation",
  period: Period,
  format: "csv" | "xlsx",
): Promise<void> {
  const answer = await api.GET(what, { params: { query: { ...period, format } }, parseAs: "blob" });
  const blob = must<Blob>(answer);
  const name =
    FILE_NAME.exec(answer.response.headers.get("Content-Disposition") ?? "")?.[1] ??
    `${what.slice(4)}-${period.from}-${period.to}.${format}`;
  saveBlob(blob, name);
}

/** Hands `blob` to the browser as a download named `name`. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => {
    URL.revokeObjectURL(url);
  }, 10_000);
}

/** Whether `participant` signs in with single sign-on: the login answers a redirect to its
 * identity provider (not followed here), or a problem (404: none). */
export async function ssoAvailable(participant: string): Promise<void> {
  const answer = await api.GET("/v1/auth/sso/{participant}/login", {
    params: { path: { participant } },
    redirect: "manual",
  });
  if (answer.response.type === "opaqueredirect") return;
  must(answer);
}

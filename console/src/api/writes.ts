// Ledger writes of the console: each with a new Idempotency-Key, waiting until the chain's
// events are indexed (so the lists read back the change); under maker-checker the answer
// is the draft that holds the write for a checker.
import { api, idempotencyKey, isDraft, type Draft, type Operation, type Piece } from "./client";
import { must, ProblemError } from "./problems";

export type Outcome = { kind: "done"; operation: Operation } | { kind: "drafted"; draft: Draft };

/** A write's answer as an outcome; a failed operation is thrown as its problem. */
export function outcome(body: Operation | Draft): Outcome {
  if (isDraft(body)) {
    return { kind: "drafted", draft: body };
  }
  if (body.status === "failed") {
    const reason = body.error?.message ?? body.error?.name ?? "failed";
    throw new ProblemError({
      type: "transaction-reverted",
      title: reason,
      status: 409,
      detail: reason,
    });
  }
  return { kind: "done", operation: body };
}

export const waiting = { wait: "indexed" as const };

/** Sign for a piece sent to us (签收): a new receivable is accepted, a split piece signed. */
export async function signFor(piece: Piece): Promise<Outcome> {
  const header = { "Idempotency-Key": idempotencyKey() };
  const answer =
    piece.parent_token_id === null
      ? await api.POST("/v1/receivables/{slot}/accept", {
          params: { path: { slot: piece.slot }, header, query: waiting },
        })
      : await api.POST("/v1/pieces/{token_id}/sign", {
          params: { path: { token_id: piece.token_id }, header, query: waiting },
        });
  return outcome(must(answer));
}

/** Refuse a piece sent to us, with the reason: a new receivable is rejected. */
export async function refuse(piece: Piece, reason: string): Promise<Outcome> {
  const header = { "Idempotency-Key": idempotencyKey() };
  const answer =
    piece.parent_token_id === null
      ? await api.POST("/v1/receivables/{slot}/reject", {
          params: { path: { slot: piece.slot }, header, query: waiting },
          body: { reason },
        })
      : await api.POST("/v1/pieces/{token_id}/refuse", {
          params: { path: { token_id: piece.token_id }, header, query: waiting },
          body: { reason },
        });
  return outcome(must(answer));
}

// The supplier's writes (sme screens): pay with a piece (a split or a whole transfer) and
// recall it, ask financiers, accept an offer or withdraw, anchor evidence. Each with a new
// Idempotency-Key, waiting until indexed; under maker-checker the answer is a draft.
import { api, idempotencyKey, type Schemas } from "./client";
import { must } from "./problems";
import { outcome, waiting, type Outcome } from "./writes";

export type Terms = Schemas["TermsIn"];
export type FinancingAsk = Schemas["FinancingIn"];

const header = () => ({ "Idempotency-Key": idempotencyKey() });

/** The piece the receiver signs for: the new child of a split, or the piece itself (all of
 * its value sent). */
export function sentPiece(result: Outcome, tokenId: number): number | null {
  if (result.kind !== "done") return null;
  const split = result.operation.events.find((e) => e.name === "PieceSplit");
  return split === undefined ? tokenId : Number(split.args.childTokenId);
}

/** Send `value` (a decimal string) of a piece to another member. */
export async function pay(tokenId: number, to: string, value: string): Promise<Outcome> {
  const answer = await api.POST("/v1/pieces/{token_id}/transfers", {
    params: { path: { token_id: tokenId }, header: header(), query: waiting },
    body: { to, value },
  });
  return outcome(must(answer));
}

/** Take back a piece sent and not yet signed for (its sender). */
export async function recall(tokenId: number): Promise<Outcome> {
  const answer = await api.POST("/v1/pieces/{token_id}/recall", {
    params: { path: { token_id: tokenId }, header: header(), query: waiting },
  });
  return outcome(must(answer));
}

/** The request's id, once mined (null for a draft). */
export function requestIdOf(result: Outcome): number | null {
  if (result.kind !== "done") return null;
  const asked = result.operation.events.find((e) => e.name === "FinancingRequested");
  return asked === undefined ? null : Number(asked.args.requestId);
}

/** Ask one to five financiers to finance a piece at `terms`. */
export async function askFinancing(body: FinancingAsk): Promise<Outcome> {
  const answer = await api.POST("/v1/financing-requests", {
    params: { header: header(), query: waiting },
    body,
  });
  return outcome(must(answer));
}

/** Accept a financier's standing offer, repeating its terms. */
export async function acceptOffer(requestId: number, financier: string, terms: Terms): Promise<Outcome> {
  const answer = await api.POST("/v1/financing-requests/{request_id}/accept", {
    params: { path: { request_id: requestId }, header: header(), query: waiting },
    body: { financier, terms },
  });
  return outcome(must(answer));
}

/** Withdraw a request before accepting an offer. */
export async function withdrawRequest(requestId: number): Promise<Outcome> {
  const answer = await api.POST("/v1/financing-requests/{request_id}/withdraw", {
    params: { path: { request_id: requestId }, header: header(), query: waiting },
  });
  return outcome(must(answer));
}

/** Upload a file to the gateway's document store and anchor its SHA-256 on the piece. */
export async function attachEvidence(tokenId: number, file: File): Promise<Outcome> {
  const form = new FormData();
  form.append("file", file, file.name);
  const uploaded = must(
    await api.POST("/v1/documents", {
      // The body is the multipart form as it is (the browser sets its boundary).
      body: form as never,
      bodySerializer: (body: unknown) => body as FormData,
    }),
  );
  const answer = await api.POST("/v1/pieces/{token_id}/evidence", {
    params: { path: { token_id: tokenId }, header: header(), query: waiting },
    body: { evidence_hash: "0x" + uploaded.sha256 },
  });
  return outcome(must(answer));
}

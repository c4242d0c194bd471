// The core enterprise's and the financier's writes (issue, cancel, settle; offer, fund;
// confirm or dispute a payment received), each with a new Idempotency-Key and waiting until
// indexed; under maker-checker the answer is the draft a checker approves.
import { api, idempotencyKey, type Schemas } from "./client";
import { must, ProblemError } from "./problems";
import { sha256Hex } from "./sha256";
import { outcome, waiting, type Outcome } from "./writes";

export type Terms = Schemas["TermsIn"];

const header = () => ({ "Idempotency-Key": idempotencyKey() });

/** Uploads the invoice and checks that the gateway stored the bytes the browser hashed:
 * answers the SHA-256 (0x-hex) to anchor. */
export async function uploadInvoice(file: File): Promise<string> {
  const own = await sha256Hex(file);
  if (own === null) {
    throw new ProblemError({ type: "insecure-page", title: "No Web Crypto", status: 0 });
  }
  const stored = must(
    await api.POST("/v1/documents", {
      // The schema's binary field is a string; the browser sends the file as multipart.
      body: { file: file as unknown as string },
      bodySerializer: (body: { file: string }) => {
        const form = new FormData();
        form.append("file", body.file as unknown as File, file.name);
        return form;
      },
    }),
  );
  if (stored.sha256.toLowerCase().replace(/^0x/, "") !== own) {
    throw new ProblemError({ type: "document-hash-mismatch", title: "Hash mismatch", status: 0 });
  }
  return "0x" + own;
}

export async function issueReceivable(body: Schemas["IssueIn"]): Promise<Outcome> {
  return outcome(
    must(await api.POST("/v1/receivables", { params: { header: header(), query: waiting }, body })),
  );
}

export async function cancelReceivable(slot: number): Promise<Outcome> {
  return outcome(
    must(
      await api.POST("/v1/receivables/{slot}/cancel", {
        params: { path: { slot }, header: header(), query: waiting },
      }),
    ),
  );
}

export async function settle(slot: number, tokenIds: number[], paymentRef: string): Promise<Outcome> {
  return outcome(
    must(
      await api.POST("/v1/settlements", {
        params: { header: header(), query: waiting },
        body: { slot, token_ids: tokenIds, payment_ref: paymentRef },
      }),
    ),
  );
}

export async function makeOffer(requestId: number, terms: Terms): Promise<Outcome> {
  return outcome(
    must(
      await api.POST("/v1/financing-requests/{request_id}/offers", {
        params: { path: { request_id: requestId }, header: header(), query: waiting },
        body: terms,
      }),
    ),
  );
}

export async function fund(requestId: number, paymentRef: string): Promise<Outcome> {
  return outcome(
    must(
      await api.POST("/v1/financing-requests/{request_id}/fund", {
        params: { path: { request_id: requestId }, header: header(), query: waiting },
        body: { payment_ref: paymentRef },
      }),
    ),
  );
}

export async function confirmPayment(tokenId: number): Promise<Outcome> {
  return outcome(
    must(
      await api.POST("/v1/settlements/{token_id}/confirm", {
        params: { path: { token_id: tokenId }, header: header(), query: waiting },
      }),
    ),
  );
}

export async function disputePayment(tokenId: number, reason: string): Promise<Outcome> {
  return outcome(
    must(
      await api.POST("/v1/settlements/{token_id}/dispute", {
        params: { path: { token_id: tokenId }, header: header(), query: waiting },
        body: { reason },
      }),
    ),
  );
}

// recourse screens: a financier's claim on a defaulted piece, and the repayments it records.
export async function claimRecourse(requestId: number): Promise<Outcome> {
  return outcome(
    must(
      await api.POST("/v1/financing-requests/{request_id}/recourse", {
        params: { path: { request_id: requestId }, header: header(), query: waiting },
      }),
    ),
  );
}

/** Marks a piece past its due date and grace period `overdue`, or an overdue piece past its
 * default period `defaulted` (any member who sees it; the contract reads the clock). */
export async function markPiece(tokenId: number, mark: "overdue" | "default"): Promise<Outcome> {
  const params = { path: { token_id: tokenId }, header: header(), query: waiting };
  return outcome(
    must(
      mark === "overdue"
        ? await api.POST("/v1/pieces/{token_id}/overdue", { params })
        : await api.POST("/v1/pieces/{token_id}/default", { params }),
    ),
  );
}

/** The seller's repayment of a recourse claim, paid off-chain with `paymentRef`. */
export async function repayRecourse(requestId: number, paymentRef: string): Promise<Outcome> {
  return outcome(
    must(
      await api.POST("/v1/financing-requests/{request_id}/recourse/repay", {
        params: { path: { request_id: requestId }, header: header(), query: waiting },
        body: { payment_ref: paymentRef },
      }),
    ),
  );
}

/** A pledge loan's repayment, paid off-chain with `paymentRef`; the lien is released. */
export async function repayLoan(requestId: number, paymentRef: string): Promise<Outcome> {
  return outcome(
    must(
      await api.POST("/v1/financing-requests/{request_id}/repay", {
        params: { path: { request_id: requestId }, header: header(), query: waiting },
        body: { payment_ref: paymentRef },
      }),
    ),
  );
}

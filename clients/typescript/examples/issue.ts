// Compiled with the client (tsc --noEmit): a use of the generated types that breaks when
// the API it relies on changes.
import { createScfClient, idempotencyKey, isDraft, problemSlug, type Piece } from "../src/index";

export async function issueAndList(baseUrl: string, apiKey: string): Promise<Piece[]> {
  const client = createScfClient({ baseUrl, apiKey });
  const issued = await client.POST("/v1/receivables", {
    params: { header: { "Idempotency-Key": idempotencyKey() }, query: { wait: "indexed" } },
    body: {
      creditor: "0x8ba1f109551bD432803012645Ac136ddd64DBA72",
      face_amount: "1000000.00",
      currency: "CNY",
      due_date: 1_798_761_600,
      document_hash: `0x${"ab".repeat(32)}`,
    },
  });
  if (issued.error !== undefined) {
    throw new Error(`refused: ${problemSlug(issued.error)}: ${issued.error.detail}`);
  }
  if (isDraft(issued.data)) {
    // The participant's policy needs a checker: nothing is on chain until one approves.
    throw new Error(`held for a checker: draft ${issued.data.id}`);
  }
  const status: "queued" | "submitted" | "mined" | "indexed" | "failed" = issued.data.status;
  if (status === "failed") {
    throw new Error(`failed: ${issued.data.error?.name ?? "unknown"}`);
  }
  const page = await client.GET("/v1/pieces", { params: { query: { state: "active" } } });
  if (page.error !== undefined) {
    throw new Error(problemSlug(page.error));
  }
  return page.data.items;
}

// The typed client of the scfledger gateway: `paths` and `components` are generated from
// its OpenAPI document (src/schema.d.ts, by scripts/gen-clients.sh); requests go through
// openapi-fetch, so a path, a parameter or a body the gateway does not take fails to compile.
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./schema";

export type { components, operations, paths } from "./schema";

type Schemas = components["schemas"];

/** An RFC 9457 problem: every error answer of the gateway. */
export type Problem = Schemas["Problem"];
export type Piece = Schemas["PieceOut"];
export type Operation = Schemas["OperationOut"];
/** A write held for a checker (maker-checker): `object` is "draft"; an operation has none. */
export type Draft = Schemas["DraftOut"];
export type FinancingRequest = Schemas["FinancingOut"];
export type Settlement = Schemas["SettlementOut"];

export interface ScfClientOptions {
  /** The gateway's address, e.g. "https://gateway.example.com". */
  baseUrl: string;
  /** A participant's API key, sent as `Authorization: Bearer <key>`. */
  apiKey?: string;
  /** Another fetch (tests, a proxy); the global one otherwise. */
  fetch?: typeof globalThis.fetch;
}

/** A client of the gateway's REST API, authenticated with `apiKey` when given. */
export function createScfClient(options: ScfClientOptions): Client<paths> {
  const client = createClient<paths>({
    baseUrl: options.baseUrl,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  const { apiKey } = options;
  if (apiKey !== undefined) {
    client.use({
      onRequest({ request }) {
        request.headers.set("Authorization", `Bearer ${apiKey}`);
        return request;
      },
    });
  }
  return client;
}

/** A fresh `Idempotency-Key` for a write: keep it to retry the same write safely. */
export function idempotencyKey(): string {
  return crypto.randomUUID();
}

/** The slug of a problem's `type` (`https://scfledger.dev/problems/not-holder` -> `not-holder`). */
export function problemSlug(problem: Pick<Problem, "type">): string {
  return problem.type.slice(problem.type.lastIndexOf("/") + 1);
}

/** Whether a write's answer is a draft held for a checker rather than an operation. */
export function isDraft(written: Operation | Draft): written is Draft {
  return "object" in written && written.object === "draft";
}

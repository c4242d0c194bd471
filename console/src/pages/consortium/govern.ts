// Consortium governance writes (admins): proposals to admit, suspend or reinstate a member,
// and votes on proposals. Each with a new Idempotency-Key, waiting until indexed; under
// maker-checker the answer is the draft that holds the vote for a checker.
import { api, idempotencyKey, type Schemas } from "../../api/client";
import { must } from "../../api/problems";
import { outcome, type Outcome } from "../../api/writes";

export type Proposal = Schemas["ProposalOut"];
export type Admission = Schemas["AdmissionIn"];
type Vote = "approve" | "revoke" | "cancel";

const options = () => ({ header: { "Idempotency-Key": idempotencyKey() }, query: { wait: "indexed" as const } });

export async function propose(admission: Admission): Promise<Outcome> {
  return outcome(must(await api.POST("/v1/members", { params: options(), body: admission })));
}

export async function suspend(address: string, reason: string): Promise<Outcome> {
  return outcome(
    must(
      await api.POST("/v1/members/{address}/suspend", {
        params: { ...options(), path: { address } },
        body: { reason },
      }),
    ),
  );
}

export async function reinstate(address: string): Promise<Outcome> {
  return outcome(
    must(await api.POST("/v1/members/{address}/reinstate", { params: { ...options(), path: { address } } })),
  );
}

export async function vote(proposal: Proposal, how: Vote): Promise<Outcome> {
  const params = { ...options(), path: { proposal_id: proposal.id } };
  const answer =
    how === "approve"
      ? await api.POST("/v1/proposals/{proposal_id}/approve", { params })
      : how === "revoke"
        ? await api.POST("/v1/proposals/{proposal_id}/revoke", { params })
        : await api.POST("/v1/proposals/{proposal_id}/cancel", { params });
  return outcome(must(answer));
}

// The set-off writes (三角债清理): propose one of the plan's rounds, consent to a round or
// refuse it, execute it. Each with a new Idempotency-Key, waiting until indexed; under
// maker-checker the answer is a draft (a maker's consent by default: it gives up receivables).
import { api, idempotencyKey } from "./client";
import { must } from "./problems";
import { outcome, waiting, type Outcome } from "./writes";

const header = () => ({ "Idempotency-Key": idempotencyKey() });

/** The round's id once mined (null for a draft). */
export function roundIdOf(result: Outcome): number | null {
  if (result.kind !== "done") return null;
  const proposed = result.operation.events.find((e) => e.name === "RoundProposed");
  return proposed === undefined ? null : Number(proposed.args.roundId);
}

/** Propose the plan's round `planRound` of `currency`, to be answered by `deadline` (chain
 * time, Unix seconds). */
export async function proposeRound(currency: string, planRound: number, deadline: number): Promise<Outcome> {
  const answer = await api.POST("/v1/setoff/rounds", {
    params: { header: header(), query: waiting },
    body: { currency, plan_round: planRound, deadline },
  });
  return outcome(must(answer));
}

export async function consentRound(roundId: number): Promise<Outcome> {
  const answer = await api.POST("/v1/setoff/rounds/{round_id}/consent", {
    params: { path: { round_id: roundId }, header: header(), query: waiting },
  });
  return outcome(must(answer));
}

export async function refuseRound(roundId: number, reason: string): Promise<Outcome> {
  const answer = await api.POST("/v1/setoff/rounds/{round_id}/refuse", {
    params: { path: { round_id: roundId }, header: header(), query: waiting },
    body: { reason },
  });
  return outcome(must(answer));
}

export async function executeRound(roundId: number): Promise<Outcome> {
  const answer = await api.POST("/v1/setoff/rounds/{round_id}/execute", {
    params: { path: { round_id: roundId }, header: header(), query: waiting },
  });
  return outcome(must(answer));
}

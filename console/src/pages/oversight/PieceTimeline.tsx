// A piece's timeline: its moves (whole transfers and splits out of it) and the evidence
// anchored on it, in chain order (GET /v1/pieces/{id}/transfers and /evidence).
import { Card, Empty, Skeleton, Timeline, Typography } from "antd";
import { useEffect, useState } from "react";
import { Link } from "react-router";
import { api, type Schemas } from "../../api/client";
import { asProblem, must, type Problem } from "../../api/problems";
import { Money } from "../../components/Money";
import { ProblemAlert } from "../../components/ProblemAlert";
import { usePreferences } from "../../i18n/I18n";
import { useSession } from "../../session/Session";

type Move = Schemas["TransferOut"];
type Evidence = Schemas["EvidenceOut"];
type Step = { block: number; move: Move } | { block: number; evidence: Evidence };

export function PieceTimeline({ tokenId }: { tokenId: number }) {
  const { t } = usePreferences();
  const { nameOf } = useSession();
  const [steps, setSteps] = useState<Step[] | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    const ended = new AbortController();
    setSteps(null);
    setProblem(null);
    void (async () => {
      try {
        const path = { params: { path: { token_id: tokenId } } };
        const [moves, evidence] = await Promise.all([
          api.GET("/v1/pieces/{token_id}/transfers", path).then(must),
          api.GET("/v1/pieces/{token_id}/evidence", path).then(must),
        ]);
        const all: Step[] = [
          ...moves.map((move) => ({ block: move.block_number, move })),
          ...evidence.map((e) => ({ block: e.block_number, evidence: e })),
        ];
        all.sort((a, b) => a.block - b.block);
        if (!ended.signal.aborted) setSteps(all);
      } catch (error) {
        if (!ended.signal.aborted) setProblem(asProblem(error));
      }
    })();
    return () => {
      ended.abort();
    };
  }, [tokenId, tick]);

  let body;
  if (problem !== null) {
    body = <ProblemAlert problem={problem} onRetry={() => { setTick((n) => n + 1); }} />;
  } else if (steps === null) {
    body = <Skeleton active aria-busy="true" aria-label={t("common.loading")} />;
  } else if (steps.length === 0) {
    body = <Empty description={t("timeline.empty")} />;
  } else {
    body = (
      <Timeline
        data-testid="piece-timeline"
        items={steps.map((step) => {
          if ("move" in step) {
            const m = step.move;
            return {
              key: `m${m.tx_hash}${m.token_id}`,
              color: m.kind === "split" ? "blue" : "green",
              children: (
                <>
                  <Typography.Text strong>
                    {t(m.kind === "split" ? "timeline.split" : "timeline.whole")}
                  </Typography.Text>{" "}
                  <Money value={m.value} currency={m.currency} />{" "}
                  {t("timeline.fromTo", { from: nameOf(m.sender), to: nameOf(m.receiver) })}{" "}
                  {m.kind === "split" && <Link to={`/pieces/${m.token_id}`}>#{m.token_id}</Link>}
                  <br />
                  <Typography.Text type="secondary">
                    {t("timeline.block", { block: m.block_number })} · <code>{m.tx_hash.slice(0, 18)}…</code>
                  </Typography.Text>
                </>
              ),
            };
          }
          const e = step.evidence;
          return {
            key: `e${e.evidence_hash}`,
            color: "gray",
            children: (
              <>
                <Typography.Text strong>{t("timeline.evidence")}</Typography.Text>{" "}
                {nameOf(e.attached_by)}
                <br />
                <Typography.Text type="secondary">
                  {t("timeline.block", { block: e.block_number })} · <code>{e.evidence_hash.slice(0, 18)}…</code>
                </Typography.Text>
              </>
            ),
          };
        })}
      />
    );
  }
  return (
    <Card title={t("timeline.title")} className="block">
      {body}
    </Card>
  );
}

// A piece: its facts and its lineage (穿透) from the root receivable to every leaf.
import { Card, Descriptions, Empty, Skeleton, Typography } from "antd";
import { useEffect, useState } from "react";
import { useParams } from "react-router";
import { api, type LineageNode, type Piece } from "../api/client";
import { asProblem, must, type Problem } from "../api/problems";
import { LineageTree } from "../components/LineageTree";
import { Money } from "../components/Money";
import { ProblemAlert } from "../components/ProblemAlert";
import { StateTag } from "../components/StateTag";
import { usePreferences } from "../i18n/I18n";
import { useSession } from "../session/Session";
import { formatDate } from "../time";
import { PieceActions } from "./sme/PieceActions";

interface Found {
  piece: Piece;
  tree: LineageNode;
}

/** The tree from the root if the viewer may read it; else the chain of ancestors down to
 * this piece and the tree below it (siblings the viewer cannot read left out). */
async function lineageOf(piece: Piece): Promise<LineageNode> {
  const own = must(
    await api.GET("/v1/pieces/{token_id}/lineage", {
      params: { path: { token_id: piece.token_id } },
    }),
  );
  const root = own.ancestors[own.ancestors.length - 1];
  if (root === undefined) return own.tree;
  const whole = await api.GET("/v1/pieces/{token_id}/lineage", {
    params: { path: { token_id: root.token_id } },
  });
  if (whole.data !== undefined) return whole.data.tree;
  return own.ancestors.reduce<LineageNode>(
    (below, ancestor) => ({ ...ancestor, children: [below] }),
    own.tree,
  );
}

export function PieceView({ tokenId }: { tokenId: number }) {
  const { t, lang, timeZone } = usePreferences();
  const { nameOf } = useSession();
  const [found, setFound] = useState<Found | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    const ended = new AbortController();
    setFound(null);
    setProblem(null);
    void (async () => {
      try {
        const piece = must(
          await api.GET("/v1/pieces/{token_id}", { params: { path: { token_id: tokenId } } }),
        );
        const tree = await lineageOf(piece);
        if (!ended.signal.aborted) setFound({ piece, tree });
      } catch (error) {
        if (!ended.signal.aborted) setProblem(asProblem(error));
      }
    })();
    return () => {
      ended.abort();
    };
  }, [tokenId, tick]);

  if (problem !== null) {
    return (
      <ProblemAlert
        problem={problem}
        onRetry={() => {
          setTick((n) => n + 1);
        }}
      />
    );
  }
  if (found === null) {
    return <Skeleton active aria-busy="true" aria-label={t("common.loading")} />;
  }
  const { piece, tree } = found;
  const r = piece.receivable;
  return (
    <>
      <Card title={`${t("piece.tokenId")} #${piece.token_id}`} className="block">
        <Descriptions column={{ xs: 1, md: 2, xl: 3 }} size="small">
          <Descriptions.Item label={t("piece.value")}>
            <Money value={piece.value} currency={r.currency} />
          </Descriptions.Item>
          <Descriptions.Item label={t("piece.state")}>
            <StateTag state={piece.state} />
          </Descriptions.Item>
          <Descriptions.Item label={t("piece.holder")}>{nameOf(piece.holder)}</Descriptions.Item>
          <Descriptions.Item label={t("piece.slot")}>#{piece.slot}</Descriptions.Item>
          <Descriptions.Item label={t("piece.face")}>
            <Money value={r.face_amount} currency={r.currency} />
          </Descriptions.Item>
          <Descriptions.Item label={t("piece.debtor")}>{nameOf(r.debtor)}</Descriptions.Item>
          <Descriptions.Item label={t("piece.dueDate")}>
            {formatDate(r.due_date, lang, timeZone)}
          </Descriptions.Item>
          <Descriptions.Item label={t("piece.depth")}>{piece.depth}</Descriptions.Item>
          {piece.sender !== null && (
            <Descriptions.Item label={t("piece.sender")}>{nameOf(piece.sender)}</Descriptions.Item>
          )}
        </Descriptions>
      </Card>
      <PieceActions
        piece={piece}
        onChange={() => {
          setTick((n) => n + 1);
        }}
      />
      <Card title={t("piece.lineage")}>
        <LineageTree tree={tree} currency={r.currency} focus={piece.token_id} nameOf={nameOf} />
      </Card>
    </>
  );
}

export function PieceDetail() {
  const { tokenId } = useParams();
  const id = Number(tokenId);
  const { t } = usePreferences();
  if (!Number.isSafeInteger(id) || id < 1) {
    return <Empty description={t("notFound.title")} />;
  }
  return (
    <>
      <Typography.Title level={2}>{t("piece.detail")}</Typography.Title>
      <PieceView tokenId={id} />
    </>
  );
}

// The payments made with a piece (its splits and whole transfers, GET .../transfers), each
// with the sent piece's state; one not yet signed for can be recalled by its sender.
import { App, Button, Empty, Table, Tag, Typography } from "antd";
import { useState } from "react";
import { api, type Piece, type Schemas } from "../../api/client";
import { asProblem, must, problemSentence } from "../../api/problems";
import { recall } from "../../api/smeWrites";
import { Money } from "../../components/Money";
import { ProblemAlert } from "../../components/ProblemAlert";
import { StateTag } from "../../components/StateTag";
import { usePreferences } from "../../i18n/I18n";
import { useSession, useSignedIn } from "../../session/Session";
import { useLoaded } from "./useLoaded";

type Sent = Schemas["TransferOut"] & {
  state: Piece["state"] | undefined;
  senderOfPiece: string | null;
  /** Its value came back into this piece (refused by its receiver, or recalled). */
  returned: boolean;
};

async function sentWith(tokenId: number, me: string): Promise<Sent[]> {
  const moves = must(
    await api.GET("/v1/pieces/{token_id}/transfers", { params: { path: { token_id: tokenId } } }),
  );
  // The payments made with the piece: its moves sent by us (a value coming back into it
  // is the return of one of them).
  const paid = moves.filter((m) => m.sender.toLowerCase() === me);
  const back = new Set(
    moves.filter((m) => m.token_id === tokenId && m.from_token_id !== null).map((m) => m.from_token_id),
  );
  // Each sent piece's state now; one we may no longer read (returned) shows none.
  return Promise.all(
    paid.map(async (move) => {
      const found = await api.GET("/v1/pieces/{token_id}", {
        params: { path: { token_id: move.token_id } },
      });
      return {
        ...move,
        state: found.data?.state,
        senderOfPiece: found.data?.sender ?? null,
        returned: back.has(move.token_id),
      };
    }),
  );
}

export function SentPieces({ tokenId, tick, onChange }: { tokenId: number; tick: number; onChange: () => void }) {
  const { t, lang } = usePreferences();
  const { nameOf } = useSession();
  const who = useSignedIn();
  const { message } = App.useApp();
  const [busy, setBusy] = useState<number | null>(null);
  const me = (who.participant?.address ?? "").toLowerCase();
  const sent = useLoaded(() => sentWith(tokenId, me), `sent:${tokenId}:${tick}`);
  const maker = who.person.roles.includes("maker");

  const take = async (move: Sent) => {
    setBusy(move.token_id);
    try {
      const result = await recall(move.token_id);
      if (result.kind === "drafted") {
        void message.info(t("inbox.drafted", { id: result.draft.id }), 6);
      } else {
        void message.success(t("pay.recalled", { id: move.token_id }));
      }
      sent.reload();
      onChange();
    } catch (error) {
      void message.error(problemSentence(asProblem(error), lang), 8);
    } finally {
      setBusy(null);
    }
  };

  if (sent.problem !== null) return <ProblemAlert problem={sent.problem} onRetry={sent.reload} />;
  return (
    <>
      <Typography.Title level={3}>{t("pay.sentTitle")}</Typography.Title>
      <Table<Sent>
        aria-label={t("pay.sentTitle")}
        size="small"
        rowKey={(m) => `${m.tx_hash}:${m.token_id}`}
        loading={sent.data === null}
        dataSource={sent.data ?? []}
        pagination={false}
        scroll={{ x: "max-content" }}
        locale={{ emptyText: <Empty description={t("pay.noneSent")} /> }}
        columns={[
          { title: t("piece.tokenId"), key: "id", render: (_, m) => `#${m.token_id}` },
          { title: t("pay.receiver"), key: "to", render: (_, m) => nameOf(m.receiver) },
          {
            title: t("piece.value"),
            key: "value",
            align: "right",
            render: (_, m) => <Money value={m.value} currency={m.currency} />,
          },
          {
            title: t("piece.state"),
            key: "state",
            render: (_, m) =>
              m.returned ? <Tag>{t("pay.returned")}</Tag> : m.state === undefined ? "—" : <StateTag state={m.state} />,
          },
          {
            title: "",
            key: "actions",
            render: (_, m) =>
              m.state === "pending" && m.senderOfPiece?.toLowerCase() === me ? (
                <Button
                  size="small"
                  disabled={!maker}
                  loading={busy === m.token_id}
                  aria-label={t("pay.recallPiece", { id: m.token_id })}
                  onClick={() => void take(m)}
                >
                  {t("pay.recall")}
                </Button>
              ) : null,
          },
        ]}
      />
    </>
  );
}

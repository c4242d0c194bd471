// 签收: receivables and pieces sent to this institution that wait for its signature; a maker
// signs for or refuses each (under maker-checker the write becomes a draft).
import { App, Button, Space, Tooltip, Typography } from "antd";
import { useState } from "react";
import { api, type Piece } from "../api/client";
import { asProblem, must, problemSentence } from "../api/problems";
import { usePages } from "../api/usePages";
import { refuse, signFor, type Outcome } from "../api/writes";
import { PagedTable } from "../components/PagedTable";
import { pieceColumns } from "../components/pieceColumns";
import { ReasonModal } from "../components/ReasonModal";
import { usePreferences } from "../i18n/I18n";
import { useSession, useSignedIn } from "../session/Session";
import { PAGE_SIZE } from "./Holdings";

export function Inbox() {
  const { t, lang, timeZone } = usePreferences();
  const { nameOf } = useSession();
  const who = useSignedIn();
  const { message } = App.useApp();
  const [busy, setBusy] = useState<number | null>(null);
  const [refusing, setRefusing] = useState<Piece | null>(null);
  const address = who.participant?.address ?? "";
  const maker = who.person.roles.includes("maker");
  const pages = usePages(
    async (cursor) =>
      must(
        await api.GET("/v1/pieces", {
          params: { query: { limit: PAGE_SIZE, cursor, holder: address, state: "pending" } },
        }),
      ),
    `inbox:${address}`,
  );

  const told = (outcome: Outcome, piece: Piece, done: "inbox.done" | "inbox.refused") => {
    if (outcome.kind === "drafted") {
      void message.info(t("inbox.drafted", { id: outcome.draft.id }), 6);
    } else {
      void message.success(t(done, { id: piece.token_id }));
    }
    pages.reload();
  };

  const act = async (piece: Piece, run: () => Promise<Outcome>, done: "inbox.done" | "inbox.refused") => {
    setBusy(piece.token_id);
    try {
      told(await run(), piece, done);
    } catch (error) {
      void message.error(problemSentence(asProblem(error), lang), 8);
    } finally {
      setBusy(null);
    }
  };

  const columns = [
    ...pieceColumns(t, lang, timeZone, nameOf).filter((c) => c.key !== "holder"),
    {
      title: "",
      key: "actions",
      render: (_: unknown, piece: Piece) => (
        <Tooltip title={maker ? "" : t("inbox.makerOnly")}>
          <Space>
            <Button
              type="primary"
              size="small"
              disabled={!maker}
              loading={busy === piece.token_id}
              onClick={() => void act(piece, () => signFor(piece), "inbox.done")}
            >
              {t("inbox.accept")}
            </Button>
            <Button
              danger
              size="small"
              disabled={!maker || busy === piece.token_id}
              onClick={() => {
                setRefusing(piece);
              }}
            >
              {t("inbox.refuse")}
            </Button>
          </Space>
        </Tooltip>
      ),
    },
  ];

  return (
    <>
      <Typography.Title level={2}>{t("inbox.title")}</Typography.Title>
      <Typography.Paragraph type="secondary">{t("inbox.intro")}</Typography.Paragraph>
      <PagedTable label={t("inbox.title")} pages={pages} rowKey="token_id" columns={columns} />
      <ReasonModal
        title={t("inbox.refuseTitle", { id: refusing?.token_id ?? "" })}
        open={refusing !== null}
        onCancel={() => {
          setRefusing(null);
        }}
        onSubmit={async (reason) => {
          const piece = refusing;
          setRefusing(null);
          if (piece !== null) await act(piece, () => refuse(piece, reason), "inbox.refused");
        }}
      />
    </>
  );
}

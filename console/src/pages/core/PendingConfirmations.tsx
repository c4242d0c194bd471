// 待确权: receivables the core enterprise issued that their creditor has not accepted yet
// (and pieces of its receivables still waiting for their receiver); a receivable may be
// cancelled before it is accepted.
import { Button, Popconfirm, Typography } from "antd";
import { api, type Piece } from "../../api/client";
import { cancelReceivable } from "../../api/financeWrites";
import { must } from "../../api/problems";
import { usePages } from "../../api/usePages";
import { PagedTable } from "../../components/PagedTable";
import { pieceColumns } from "../../components/pieceColumns";
import { useWrite } from "../../components/useWrite";
import { usePreferences } from "../../i18n/I18n";
import { useSession, useSignedIn } from "../../session/Session";
import { PAGE_SIZE } from "../Holdings";

export function PendingConfirmations() {
  const { t, lang, timeZone } = usePreferences();
  const { nameOf } = useSession();
  const who = useSignedIn();
  const { busy, run } = useWrite();
  const address = who.participant?.address ?? "";
  const maker = who.person.roles.includes("maker");
  const pages = usePages(
    async (cursor) =>
      must(
        await api.GET("/v1/pieces", {
          params: { query: { limit: PAGE_SIZE, cursor, debtor: address, state: "pending" } },
        }),
      ),
    `pending:${address}`,
  );

  const columns = [
    ...pieceColumns(t, lang, timeZone, nameOf).filter((c) => c.key !== "debtor"),
    {
      title: t("pending.kind"),
      key: "kind",
      render: (_: unknown, p: Piece) =>
        p.parent_token_id === null ? t("pending.receivable") : t("pending.split"),
    },
    {
      title: "",
      key: "actions",
      render: (_: unknown, p: Piece) =>
        p.parent_token_id === null ? (
          <Popconfirm
            title={t("pending.cancelConfirm", { slot: p.slot })}
            okText={t("common.ok")}
            cancelText={t("common.cancel")}
            onConfirm={() =>
              void run(`cancel-${p.slot}`, () => cancelReceivable(p.slot), t("pending.cancelled", { slot: p.slot })).then(
                pages.reload,
              )
            }
          >
            <Button danger size="small" disabled={!maker} loading={busy === `cancel-${p.slot}`}>
              {t("pending.cancel")}
            </Button>
          </Popconfirm>
        ) : null,
    },
  ];

  return (
    <>
      <Typography.Title level={2}>{t("pending.title")}</Typography.Title>
      <Typography.Paragraph>{t("pending.intro")}</Typography.Paragraph>
      <PagedTable label={t("pending.title")} pages={pages} rowKey="token_id" columns={columns} />
    </>
  );
}

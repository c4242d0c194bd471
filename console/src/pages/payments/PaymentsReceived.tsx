// 确认收款: settlements paid off-chain to this institution; the payee due to confirm (a lien
// holder first, then the holder) confirms the money arrived, or disputes it with a reason.
import { Button, Space, Typography } from "antd";
import { useState } from "react";
import type { Schemas } from "../../api/client";
import { confirmPayment, disputePayment } from "../../api/financeWrites";
import { PagedTable } from "../../components/PagedTable";
import { ReasonModal } from "../../components/ReasonModal";
import { useWrite } from "../../components/useWrite";
import { usePreferences } from "../../i18n/I18n";
import { useSession, useSignedIn } from "../../session/Session";
import { settlementColumns, useSettlements } from "../core/Settlement";

type Settlement = Schemas["SettlementOut"];

export function PaymentsReceived() {
  const { t, lang, timeZone } = usePreferences();
  const { nameOf } = useSession();
  const who = useSignedIn();
  const { busy, run } = useWrite();
  const [disputing, setDisputing] = useState<Settlement | null>(null);
  const address = (who.participant?.address ?? "").toLowerCase();
  const maker = who.person.roles.includes("maker");
  const pages = useSettlements(`received:${address}`);
  const due = (s: Settlement) =>
    s.status === "awaiting_confirmation" && s.payee?.toLowerCase() === address;

  const columns = [
    ...settlementColumns(t, lang, timeZone, nameOf),
    {
      title: "",
      key: "actions",
      render: (_: unknown, s: Settlement) =>
        due(s) ? (
          <Space>
            <Button
              type="primary"
              size="small"
              disabled={!maker}
              loading={busy === `confirm-${s.token_id}`}
              onClick={() =>
                void run(
                  `confirm-${s.token_id}`,
                  () => confirmPayment(s.token_id),
                  t("received.confirmed", { id: s.token_id }),
                ).then(pages.reload)
              }
            >
              {t("received.confirm")}
            </Button>
            <Button
              danger
              size="small"
              disabled={!maker}
              onClick={() => {
                setDisputing(s);
              }}
            >
              {t("received.dispute")}
            </Button>
          </Space>
        ) : null,
    },
  ];

  return (
    <>
      <Typography.Title level={2}>{t("received.title")}</Typography.Title>
      <Typography.Paragraph>{t("received.intro")}</Typography.Paragraph>
      <PagedTable label={t("received.title")} pages={pages} rowKey="token_id" columns={columns} />
      <ReasonModal
        title={t("received.disputeTitle", { id: disputing?.token_id ?? "" })}
        open={disputing !== null}
        onCancel={() => {
          setDisputing(null);
        }}
        onSubmit={async (reason) => {
          const settlement = disputing;
          setDisputing(null);
          if (settlement === null) return;
          await run(
            `dispute-${settlement.token_id}`,
            () => disputePayment(settlement.token_id, reason),
            t("received.disputed", { id: settlement.token_id }),
          );
          pages.reload();
        }}
      />
    </>
  );
}

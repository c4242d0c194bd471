// 我的融资申请: the financing requests the institution made (or, for a financier, is named
// in), paged on the server, filterable by status, each linked to its offers and progress.
import { Select, Space, Typography } from "antd";
import { useState } from "react";
import { Link } from "react-router";
import { api, type Schemas } from "../../api/client";
import { must } from "../../api/problems";
import { usePages } from "../../api/usePages";
import { Money } from "../../components/Money";
import { PagedTable } from "../../components/PagedTable";
import { usePreferences } from "../../i18n/I18n";
import type { MessageKey } from "../../i18n/messages";
import { useSession } from "../../session/Session";
import { formatDate } from "../../time";
import { PAGE_SIZE } from "../Holdings";
import { RequestStatusTag, type RequestStatus } from "./requestStatus";

type Request = Schemas["FinancingOut"];
const STATUSES: RequestStatus[] = ["requested", "accepted", "funded", "repaid", "settled", "withdrawn", "rejected", "expired"];

export function FinancingList() {
  const { t, lang, timeZone } = usePreferences();
  const { nameOf } = useSession();
  const [status, setStatus] = useState<RequestStatus | "">("");
  const pages = usePages(
    async (cursor) =>
      must(
        await api.GET("/v1/financing-requests", {
          params: { query: { limit: PAGE_SIZE, cursor, ...(status ? { status } : {}) } },
        }),
      ),
    `financing:${status}`,
  );
  return (
    <>
      <Typography.Title level={2}>{t("financing.title")}</Typography.Title>
      <Typography.Paragraph type="secondary">{t("financing.intro")}</Typography.Paragraph>
      <Space className="block">
        <Select<RequestStatus | "">
          aria-label={t("financing.filterStatus")}
          value={status}
          onChange={setStatus}
          style={{ minWidth: 160 }}
          options={[
            { value: "", label: t("holdings.all") },
            ...STATUSES.map((s) => ({ value: s, label: t(`requestStatus.${s}` as MessageKey) })),
          ]}
        />
      </Space>
      <PagedTable<Request>
        label={t("financing.title")}
        pages={pages}
        rowKey="id"
        columns={[
          {
            title: t("financing.id"),
            dataIndex: "id",
            render: (id: number) => <Link to={`/financing/${id}`}>{t("financing.number", { id })}</Link>,
          },
          {
            title: t("piece.tokenId"),
            dataIndex: "token_id",
            render: (id: number) => <Link to={`/pieces/${id}`}>#{id}</Link>,
          },
          {
            title: t("ask.advance"),
            key: "advance",
            align: "right",
            render: (_, r) => <Money value={r.asked.advance} currency={r.currency} />,
          },
          { title: t("ask.mode"), key: "mode", render: (_, r) => t(`mode.${r.mode}` as MessageKey) },
          {
            title: t("financing.offers"),
            key: "offers",
            render: (_, r) =>
              t("financing.offerCount", {
                made: r.offers.filter((o) => o.status === "made").length,
                asked: r.offers.length,
              }),
          },
          { title: t("financing.financier"), key: "financier", render: (_, r) => (r.financier ? nameOf(r.financier) : "—") },
          { title: t("piece.state"), key: "status", render: (_, r) => <RequestStatusTag status={r.status} /> },
          {
            title: t("financing.expires"),
            key: "expires",
            render: (_, r) => formatDate(r.expires_at, lang, timeZone, true),
          },
        ]}
      />
    </>
  );
}

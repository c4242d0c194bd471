// 融资申请 (financier): the requests addressed to this financier, by status; each opens its
// review (risk, offer, funding).
import { Button, Select, Space, Tag, Typography } from "antd";
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { api, type Schemas } from "../../api/client";
import { must } from "../../api/problems";
import { usePages } from "../../api/usePages";
import { Money } from "../../components/Money";
import { PagedTable } from "../../components/PagedTable";
import { usePreferences } from "../../i18n/I18n";
import type { MessageKey } from "../../i18n/messages";
import { useSession, useSignedIn } from "../../session/Session";
import { formatDate } from "../../time";
import { PAGE_SIZE } from "../Holdings";

export type Request = Schemas["FinancingOut"];
type Status = Request["status"];
const STATUSES: Status[] = ["requested", "accepted", "funded", "repaid", "settled", "rejected", "withdrawn", "expired", "recourse_claimed", "recourse_repaid"];

/** This financier's offer on a request: invited, made, declined. */
export function ownOffer(request: Request, address: string) {
  return request.offers.find((o) => o.financier.toLowerCase() === address.toLowerCase());
}

export function FinancingQueue() {
  const { t, lang, timeZone } = usePreferences();
  const { nameOf } = useSession();
  const who = useSignedIn();
  const navigate = useNavigate();
  const [status, setStatus] = useState<Status | "">("requested");
  const address = who.participant?.address ?? "";
  const pages = usePages(
    async (cursor) =>
      must(
        await api.GET("/v1/financing-requests", {
          params: { query: { limit: PAGE_SIZE, cursor, ...(status ? { status } : {}) } },
        }),
      ),
    `queue:${status}`,
  );

  const columns = [
    {
      title: t("queue.id"),
      dataIndex: "id",
      render: (id: number) => <Link to={`/financier/requests/${id}`}>#{id}</Link>,
    },
    { title: t("piece.tokenId"), dataIndex: "token_id", render: (id: number) => `#${id}` },
    { title: t("queue.requester"), key: "requester", render: (_: unknown, r: Request) => nameOf(r.requester) },
    {
      title: t("queue.asked"),
      key: "asked",
      align: "right" as const,
      render: (_: unknown, r: Request) => <Money value={r.asked.advance} currency={r.currency} />,
    },
    {
      title: t("queue.mode"),
      key: "mode",
      render: (_: unknown, r: Request) =>
        `${t(`mode.${r.mode}` as MessageKey)}${r.recourse ? ` · ${t("queue.recourse")}` : ""}`,
    },
    {
      title: t("queue.expires"),
      dataIndex: "expires_at",
      render: (at: number) => formatDate(at, lang, timeZone, true),
    },
    {
      title: t("queue.ownOffer"),
      key: "offer",
      render: (_: unknown, r: Request) => {
        const own = ownOffer(r, address);
        return own === undefined ? "—" : <Tag>{t(`offer.${own.status}` as MessageKey)}</Tag>;
      },
    },
    {
      title: t("piece.state"),
      dataIndex: "status",
      render: (s: Status) => <Tag color="blue">{t(`request.${s}` as MessageKey)}</Tag>,
    },
    {
      title: "",
      key: "actions",
      render: (_: unknown, r: Request) => (
        <Button size="small" onClick={() => void navigate(`/financier/requests/${r.id}`)}>
          {t("queue.review")}
        </Button>
      ),
    },
  ];

  return (
    <>
      <Typography.Title level={2}>{t("queue.title")}</Typography.Title>
      <Typography.Paragraph>{t("queue.intro")}</Typography.Paragraph>
      <Space className="block">
        <Select<Status | "">
          aria-label={t("drafts.filterStatus")}
          value={status}
          onChange={setStatus}
          style={{ minWidth: 160 }}
          options={[
            { value: "", label: t("holdings.all") },
            ...STATUSES.map((s) => ({ value: s, label: t(`request.${s}` as MessageKey) })),
          ]}
        />
      </Space>
      <PagedTable label={t("queue.title")} pages={pages} rowKey="id" columns={columns} />
    </>
  );
}

// 清分轮次 (set-off rounds): the rounds the institution is party to or proposed (auditors:
// all), paged on the server, by status (as of chain time: a proposed round past its
// deadline has lapsed) or only those awaiting its answer; each links to its page.
import { Checkbox, Select, Space, Typography } from "antd";
import { useState } from "react";
import { Link } from "react-router";
import { api } from "../../api/client";
import { must } from "../../api/problems";
import { usePages } from "../../api/usePages";
import { Money } from "../../components/Money";
import { PagedTable } from "../../components/PagedTable";
import { usePreferences } from "../../i18n/I18n";
import { useSession } from "../../session/Session";
import { formatDate } from "../../time";
import { PAGE_SIZE } from "../Holdings";
import { AnswerTag, currencyOf, ROUND_STATUSES, RoundStatusTag, type Round, type RoundStatus } from "./roundTags";

export function SetoffRounds() {
  const { t, lang, timeZone } = usePreferences();
  const { nameOf } = useSession();
  const [status, setStatus] = useState<RoundStatus | "">("");
  const [awaiting, setAwaiting] = useState(false);
  const pages = usePages(
    async (cursor) =>
      must(
        await api.GET("/v1/setoff/rounds", {
          params: {
            query: { limit: PAGE_SIZE, cursor, ...(status ? { status } : {}), ...(awaiting ? { awaiting_me: true } : {}) },
          },
        }),
      ),
    `rounds:${status}:${String(awaiting)}`,
  );
  const columns = [
    {
      title: t("setoff.round"),
      key: "id",
      render: (_: unknown, r: Round) => <Link to={`/setoff/rounds/${r.id}`}>#{r.id}</Link>,
    },
    { title: t("piece.state"), key: "status", render: (_: unknown, r: Round) => <RoundStatusTag status={r.status} /> },
    { title: t("setoff.proposer"), key: "proposer", render: (_: unknown, r: Round) => nameOf(r.proposer) },
    {
      title: t("setoff.total"),
      key: "total",
      align: "right" as const,
      render: (_: unknown, r: Round) => <Money value={r.total} currency={currencyOf(r)} />,
    },
    { title: t("setoff.items"), dataIndex: "item_count", align: "right" as const },
    {
      title: t("setoff.consents"),
      key: "consents",
      render: (_: unknown, r: Round) => `${r.consents} / ${r.party_count}`,
    },
    { title: t("setoff.myAnswer"), key: "answer", render: (_: unknown, r: Round) => <AnswerTag answer={r.my_answer} /> },
    {
      title: t("setoff.givesUp"),
      key: "givesUp",
      align: "right" as const,
      render: (_: unknown, r: Round) => <Money value={r.gives_up} currency={currencyOf(r)} />,
    },
    {
      title: t("setoff.sheds"),
      key: "sheds",
      align: "right" as const,
      render: (_: unknown, r: Round) => <Money value={r.sheds} currency={currencyOf(r)} />,
    },
    {
      title: t("setoff.deadline"),
      key: "deadline",
      render: (_: unknown, r: Round) => formatDate(r.deadline, lang, timeZone, true),
    },
  ];
  return (
    <>
      <Typography.Title level={2}>{t("setoff.rounds.title")}</Typography.Title>
      <Typography.Paragraph>{t("setoff.rounds.intro")}</Typography.Paragraph>
      <Space className="block" wrap>
        <Select<RoundStatus | "">
          aria-label={t("holdings.filterState")}
          value={status}
          onChange={setStatus}
          style={{ minWidth: 160 }}
          options={[
            { value: "", label: t("holdings.all") },
            ...ROUND_STATUSES.map((s) => ({ value: s, label: t(`setoff.status.${s}`) })),
          ]}
        />
        <Checkbox
          checked={awaiting}
          onChange={(e) => {
            setAwaiting(e.target.checked);
          }}
        >
          {t("setoff.rounds.awaitingMe")}
        </Checkbox>
        <Link to="/setoff/plan">{t("setoff.rounds.toPlan")}</Link>
      </Space>
      <PagedTable<Round> label={t("setoff.rounds.title")} pages={pages} rowKey="id" columns={columns} />
    </>
  );
}

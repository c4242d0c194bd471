// Governance proposals (GET /v1/proposals, admins and auditors): what each does, its
// approvals and deadline; an admin approves or withdraws its approval, the proposer cancels.
import { Button, Select, Space, Table, Tag, Tooltip, Typography } from "antd";
import { useCallback, useEffect, useState } from "react";
import { api } from "../../api/client";
import { asProblem, must, type Problem } from "../../api/problems";
import { ProblemAlert } from "../../components/ProblemAlert";
import { usePreferences } from "../../i18n/I18n";
import type { MessageKey } from "../../i18n/messages";
import { useSession, useSignedIn } from "../../session/Session";
import { formatDate } from "../../time";
import { vote, type Proposal } from "./govern";
import { governs } from "./Members";
import { useOutcome } from "./useOutcome";

type Status = NonNullable<Proposal["status"]>;
const STATUSES: Status[] = ["pending", "executed", "cancelled", "expired"];
const DONE = { approve: "proposals.approved", revoke: "proposals.revoked", cancel: "proposals.cancelled" } as const;
const COLOURS: Record<string, string> = { pending: "gold", executed: "green", cancelled: "default", expired: "default" };

/** What a proposal does, in words: the action and its member (by name) or arguments. */
function What({ proposal }: { proposal: Proposal }) {
  const { nameOf } = useSession();
  const args = proposal.args;
  const account = typeof args.account === "string" ? args.account : typeof args.address === "string" ? args.address : null;
  const name = typeof args.name === "string" ? args.name : account !== null ? nameOf(account) : "";
  return (
    <>
      <code>{proposal.action}</code> {name}
    </>
  );
}

export function Proposals() {
  const { t, lang, timeZone } = usePreferences();
  const who = useSignedIn();
  const { nameOf } = useSession();
  const report = useOutcome();
  const [status, setStatus] = useState<Status | "">("pending");
  const [proposals, setProposals] = useState<Proposal[] | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState<number | null>(null);
  const admin = governs(who);
  const me = who.participant?.address.toLowerCase() ?? "";

  const load = useCallback(async () => {
    setProblem(null);
    setProposals(null);
    try {
      const query = status === "" ? {} : { status };
      setProposals(must(await api.GET("/v1/proposals", { params: { query } })));
    } catch (error) {
      setProblem(asProblem(error));
    }
  }, [status]);
  useEffect(() => {
    void load();
  }, [load]);

  const act = async (p: Proposal, how: "approve" | "revoke" | "cancel") => {
    setBusy(p.id);
    await report(() => vote(p, how), t(DONE[how], { id: p.id }));
    setBusy(null);
    await load();
  };

  const columns = [
    { title: t("proposals.id"), dataIndex: "id", render: (id: number) => `#${id}` },
    { title: t("proposals.what"), key: "what", render: (_: unknown, p: Proposal) => <What proposal={p} /> },
    { title: t("proposals.proposer"), dataIndex: "proposer", render: (a: string) => nameOf(a) },
    {
      title: t("proposals.approvals"),
      dataIndex: "approvals",
      render: (approvals: string[]) => approvals.map((a) => <Tag key={a}>{nameOf(a)}</Tag>),
    },
    {
      title: t("proposals.status"),
      dataIndex: "status",
      render: (s: string) => <Tag color={COLOURS[s]}>{t(`proposals.status.${s}` as MessageKey)}</Tag>,
    },
    {
      title: t("proposals.deadline"),
      dataIndex: "deadline",
      render: (d: number) => formatDate(d, lang, timeZone, true),
    },
    ...(admin
      ? [
          {
            title: "",
            key: "actions",
            render: (_: unknown, p: Proposal) => {
              if (p.status !== "pending") return null;
              const approved = p.approvals.some((a) => a.toLowerCase() === me);
              const mine = p.proposer.toLowerCase() === me;
              return (
                <Space>
                  {approved ? (
                    <Button size="small" loading={busy === p.id} onClick={() => void act(p, "revoke")}>
                      {t("proposals.revoke")}
                    </Button>
                  ) : (
                    <Button type="primary" size="small" loading={busy === p.id} onClick={() => void act(p, "approve")}>
                      {t("proposals.approve")}
                    </Button>
                  )}
                  <Tooltip title={mine ? "" : t("proposals.proposerOnly")}>
                    <Button danger size="small" disabled={!mine || busy === p.id} onClick={() => void act(p, "cancel")}>
                      {t("proposals.cancel")}
                    </Button>
                  </Tooltip>
                </Space>
              );
            },
          },
        ]
      : []),
  ];

  return (
    <>
      <Typography.Title level={2}>{t("proposals.title")}</Typography.Title>
      <Typography.Paragraph type="secondary">{t("proposals.intro")}</Typography.Paragraph>
      <Space className="block">
        <Select<Status | "">
          aria-label={t("proposals.filterStatus")}
          value={status}
          onChange={setStatus}
          style={{ minWidth: 160 }}
          options={[
            { value: "", label: t("holdings.all") },
            ...STATUSES.map((s) => ({ value: s, label: t(`proposals.status.${s}` as MessageKey) })),
          ]}
        />
        <Button onClick={() => void load()}>{t("common.refresh")}</Button>
      </Space>
      {problem !== null ? (
        <ProblemAlert problem={problem} onRetry={() => void load()} />
      ) : (
        <Table<Proposal>
          aria-label={t("proposals.title")}
          size="middle"
          rowKey="id"
          loading={proposals === null}
          dataSource={proposals ?? []}
          columns={columns}
          pagination={false}
          scroll={{ x: "max-content" }}
        />
      )}
    </>
  );
}

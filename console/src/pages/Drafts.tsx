// 复核: the institution's drafts (maker-checker); a checker other than the maker approves or
// rejects each pending one.
import { App, Button, Select, Space, Tag, Tooltip, Typography } from "antd";
import { useState } from "react";
import { api, type Draft } from "../api/client";
import { asProblem, must, problemSentence } from "../api/problems";
import { usePages } from "../api/usePages";
import { Money } from "../components/Money";
import { PagedTable } from "../components/PagedTable";
import { ReasonModal } from "../components/ReasonModal";
import { usePreferences } from "../i18n/I18n";
import type { MessageKey } from "../i18n/messages";
import { useSignedIn } from "../session/Session";
import { formatDate } from "../time";
import { PAGE_SIZE } from "./Holdings";

type Status = Draft["status"];
const STATUSES: Status[] = ["pending", "approved", "submitted", "rejected", "expired"];

/** A draft's amount in the currency its arguments name (minor units before decimal strings). */
function DraftAmount({ draft }: { draft: Draft }) {
  const currency = draft.arguments.currency;
  if (draft.amount === null) return <>—</>;
  if (typeof currency !== "string") return <>{draft.amount}</>;
  const value = draft.amount.includes(".") ? draft.amount : Number(draft.amount);
  return Number.isSafeInteger(value) || typeof value === "string" ? (
    <Money value={value} currency={currency} />
  ) : (
    <>{draft.amount}</>
  );
}

export function Drafts() {
  const { t, lang, timeZone } = usePreferences();
  const who = useSignedIn();
  const { message } = App.useApp();
  const [status, setStatus] = useState<Status>("pending");
  const [busy, setBusy] = useState<number | null>(null);
  const [rejecting, setRejecting] = useState<Draft | null>(null);
  const checker = who.person.roles.includes("checker");
  const pages = usePages(
    async (cursor) =>
      must(
        await api.GET("/v1/drafts", {
          params: { query: { limit: PAGE_SIZE, after: cursor, status } },
        }),
      ),
    `drafts:${status}`,
  );

  const decide = async (draft: Draft, run: () => Promise<void>) => {
    setBusy(draft.id);
    try {
      await run();
    } catch (error) {
      void message.error(problemSentence(asProblem(error), lang), 8);
    } finally {
      setBusy(null);
      pages.reload();
    }
  };

  const approve = (draft: Draft) =>
    decide(draft, async () => {
      const decided = must(
        await api.POST("/v1/drafts/{draft_id}/approve", {
          params: { path: { draft_id: draft.id } },
        }),
      );
      const failed = decided.operation?.status === "failed";
      if (failed) {
        void message.error(decided.operation?.error?.message ?? "failed", 8);
      } else {
        void message.success(t("drafts.approved", { id: draft.id }));
      }
    });

  const columns = [
    { title: t("drafts.id"), dataIndex: "id", render: (id: number) => `#${id}` },
    { title: t("drafts.kind"), dataIndex: "kind", render: (kind: string) => <code>{kind}</code> },
    {
      title: t("drafts.amount"),
      key: "amount",
      align: "right" as const,
      render: (_: unknown, d: Draft) => <DraftAmount draft={d} />,
    },
    { title: t("drafts.maker"), dataIndex: "maker" },
    {
      title: t("drafts.status"),
      dataIndex: "status",
      render: (s: Status) => <Tag>{t(`draftStatus.${s}` as MessageKey)}</Tag>,
    },
    {
      title: t("drafts.approvals"),
      key: "approvals",
      render: (_: unknown, d: Draft) =>
        `${d.decisions.filter((c) => c.decision === "approve").length} / ${d.approvals_required}`,
    },
    {
      title: t("drafts.created"),
      dataIndex: "created_at",
      render: (at: string) => formatDate(at, lang, timeZone, true),
    },
    {
      title: t("drafts.expires"),
      dataIndex: "expires_at",
      render: (at: string) => formatDate(at, lang, timeZone, true),
    },
    {
      title: "",
      key: "actions",
      render: (_: unknown, d: Draft) => {
        if (d.status !== "pending") return null;
        const own = d.maker === who.person.username;
        const why = !checker ? t("drafts.checkerOnly") : own ? t("drafts.own") : "";
        return (
          <Tooltip title={why}>
            <Space>
              <Button
                type="primary"
                size="small"
                disabled={why !== ""}
                loading={busy === d.id}
                onClick={() => void approve(d)}
              >
                {t("drafts.approve")}
              </Button>
              <Button
                danger
                size="small"
                disabled={why !== "" || busy === d.id}
                onClick={() => {
                  setRejecting(d);
                }}
              >
                {t("drafts.reject")}
              </Button>
            </Space>
          </Tooltip>
        );
      },
    },
  ];

  return (
    <>
      <Typography.Title level={2}>{t("drafts.title")}</Typography.Title>
      <Typography.Paragraph type="secondary">{t("drafts.intro")}</Typography.Paragraph>
      <Space className="block">
        <Select<Status>
          aria-label={t("drafts.filterStatus")}
          value={status}
          onChange={setStatus}
          style={{ minWidth: 160 }}
          options={STATUSES.map((s) => ({ value: s, label: t(`draftStatus.${s}` as MessageKey) }))}
        />
      </Space>
      <PagedTable label={t("drafts.title")} pages={pages} rowKey="id" columns={columns} />
      <ReasonModal
        title={t("drafts.rejectTitle", { id: rejecting?.id ?? "" })}
        open={rejecting !== null}
        onCancel={() => {
          setRejecting(null);
        }}
        onSubmit={async (reason) => {
          const draft = rejecting;
          setRejecting(null);
          if (draft === null) return;
          await decide(draft, async () => {
            must(
              await api.POST("/v1/drafts/{draft_id}/reject", {
                params: { path: { draft_id: draft.id } },
                body: { reason },
              }),
            );
            void message.success(t("drafts.rejected", { id: draft.id }));
          });
        }}
      />
    </>
  );
}

// 逾期与追索 (financier): the requests this financier funded, with their piece's due date,
// days past due at chain time and state, and what is owed; the acts the API offers on each:
// claim recourse on a defaulted piece (recourse factoring), record the seller's repayment of
// a claim, record a pledge loan's repayment (both paid off-chain, with the wire's reference).
import { Alert, App, Button, Select, Space, Tag, Typography } from "antd";
import { useState } from "react";
import { Link } from "react-router";
import { api, type Piece, type Schemas } from "../../api/client";
import { claimRecourse, markPiece, repayLoan, repayRecourse } from "../../api/financeWrites";
import { must } from "../../api/problems";
import { usePages } from "../../api/usePages";
import { Money } from "../../components/Money";
import { PagedTable } from "../../components/PagedTable";
import { StateTag } from "../../components/StateTag";
import { TextPromptModal } from "../../components/TextPromptModal";
import { useWrite } from "../../components/useWrite";
import { usePreferences } from "../../i18n/I18n";
import type { MessageKey } from "../../i18n/messages";
import { formatMoney } from "../../money";
import { useSession, useSignedIn } from "../../session/Session";
import { formatDate } from "../../time";
import { PAGE_SIZE } from "../Holdings";
import { RequestStatusTag } from "../sme/requestStatus";

type Request = Schemas["FinancingOut"];
type Status = Request["status"];
const STATUSES: Status[] = ["funded", "recourse_claimed", "recourse_repaid", "repaid", "settled"];
const DAY = 86_400;

interface Row {
  id: number; // the request's
  request: Request;
  piece: Piece;
  now: number; // the chain's time (Unix seconds): due dates are judged on it
}

/** Whole days past the due date at `now`; 0 on the due date and before it. */
export function daysPastDue(due: number, now: number): number {
  return now <= due ? 0 : Math.floor((now - due) / DAY);
}

type Action = "claim" | "repayRecourse" | "repayLoan" | "markOverdue" | "markDefaulted" | null;

/** What the financier may do now: mark the piece overdue, then defaulted (the contract
 * says whether its grace and default periods have passed), claim recourse, record a
 * repayment, or nothing. */
function actionOf(row: Row): Action {
  const { request, piece } = row;
  if (request.status === "recourse_claimed") return "repayRecourse";
  if (request.status !== "funded") return null;
  if (request.mode === "pledge") return "repayLoan";
  if (!request.recourse) return null;
  if (piece.state === "defaulted") return "claim";
  if (piece.state === "overdue") return "markDefaulted";
  return daysPastDue(piece.receivable.due_date, row.now) > 0 ? "markOverdue" : null;
}

export function Overdue() {
  const { t, lang, timeZone } = usePreferences();
  const { nameOf } = useSession();
  const who = useSignedIn();
  const { modal } = App.useApp();
  const { busy, run } = useWrite();
  const [status, setStatus] = useState<Status>("funded");
  const [paying, setPaying] = useState<Row | null>(null);
  const maker = who.person.roles.includes("maker");
  const me = who.participant?.address;

  const pages = usePages(async (cursor) => {
    if (me === undefined) return { items: [] };
    // The requests whose accepted offer is ours, paged on the server.
    const query = { limit: PAGE_SIZE, cursor, status, financier: me };
    const [found, time] = await Promise.all([
      api.GET("/v1/financing-requests", { params: { query } }).then(must),
      api.GET("/v1/chain/time").then(must),
    ]);
    const pieces = await Promise.all(
      found.items.map((r) => api.GET("/v1/pieces/{token_id}", { params: { path: { token_id: r.token_id } } }).then(must)),
    );
    const items: Row[] = found.items.map((request, i) => ({ id: request.id, request, piece: pieces[i] as Piece, now: time.block_timestamp }));
    return { items, next_cursor: found.next_cursor };
  }, `overdue:${status}:${me ?? ""}`);

  const claim = (row: Row) => {
    const { request } = row;
    const owed = formatMoney(request.agreed?.repayment ?? "0", request.currency, lang);
    modal.confirm({
      title: t("overdue.claimTitle", { id: request.id }),
      content: t("overdue.claimText", { seller: nameOf(request.requester), amount: owed }),
      okText: t("overdue.claim"),
      cancelText: t("common.cancel"),
      onOk: () =>
        run(`claim:${request.id}`, () => claimRecourse(request.id), t("overdue.claimed", { id: request.id })).then(
          pages.reload,
        ),
    });
  };

  const mark = (row: Row, action: "markOverdue" | "markDefaulted") => {
    const { token_id } = row.piece;
    const overdue = action === "markOverdue";
    void run(
      `${action}:${row.request.id}`,
      () => markPiece(token_id, overdue ? "overdue" : "default"),
      t(overdue ? "overdue.markedOverdue" : "overdue.markedDefaulted", { id: token_id }),
    ).then(pages.reload);
  };

  const record = async (reference: string) => {
    if (paying === null) return;
    const { request } = paying;
    const recourse = request.status === "recourse_claimed";
    const done = await run(
      `repay:${request.id}`,
      () => (recourse ? repayRecourse(request.id, reference) : repayLoan(request.id, reference)),
      t(recourse ? "overdue.recourseRepaid" : "overdue.loanRepaid", { id: request.id }),
    );
    if (done !== null) {
      setPaying(null);
      pages.reload();
    }
  };

  const columns = [
    {
      title: t("queue.id"),
      key: "id",
      render: (_: unknown, r: Row) => <Link to={`/financier/requests/${r.request.id}`}>#{r.request.id}</Link>,
    },
    {
      title: t("piece.tokenId"),
      key: "piece",
      render: (_: unknown, r: Row) => <Link to={`/pieces/${r.piece.token_id}`}>#{r.piece.token_id}</Link>,
    },
    { title: t("overdue.seller"), key: "seller", render: (_: unknown, r: Row) => nameOf(r.request.requester) },
    { title: t("piece.debtor"), key: "debtor", render: (_: unknown, r: Row) => nameOf(r.piece.receivable.debtor) },
    {
      title: t("piece.dueDate"),
      key: "due",
      render: (_: unknown, r: Row) => formatDate(r.piece.receivable.due_date, lang, timeZone),
    },
    {
      title: t("overdue.daysPastDue"),
      key: "days",
      align: "right" as const,
      render: (_: unknown, r: Row) => {
        const days = daysPastDue(r.piece.receivable.due_date, r.now);
        return days === 0 ? t("overdue.notDue") : <Tag color="red">{t("overdue.days", { n: days })}</Tag>;
      },
    },
    { title: t("overdue.pieceState"), key: "state", render: (_: unknown, r: Row) => <StateTag state={r.piece.state} /> },
    {
      title: t("overdue.debtorOwes"),
      key: "value",
      align: "right" as const,
      render: (_: unknown, r: Row) => <Money value={r.piece.value} currency={r.request.currency} />,
    },
    {
      title: t("overdue.sellerOwes"),
      key: "repayment",
      align: "right" as const,
      render: (_: unknown, r: Row) =>
        r.request.recourse || r.request.mode === "pledge" ? (
          <Money value={r.request.agreed?.repayment ?? "0"} currency={r.request.currency} />
        ) : (
          "—"
        ),
    },
    {
      title: t("queue.mode"),
      key: "mode",
      render: (_: unknown, r: Row) =>
        `${t(`mode.${r.request.mode}` as MessageKey)}${r.request.recourse ? ` · ${t("queue.recourse")}` : ""}`,
    },
    {
      title: t("piece.state"),
      key: "status",
      render: (_: unknown, r: Row) => (
        <span data-testid={`overdue-status-${r.request.id}`}>
          <RequestStatusTag status={r.request.status} />
        </span>
      ),
    },
    {
      title: "",
      key: "actions",
      render: (_: unknown, r: Row) => {
        const action = actionOf(r);
        const id = r.request.id;
        if (action === "claim") {
          return (
            <Button size="small" type="primary" danger disabled={!maker} loading={busy === `claim:${id}`} onClick={() => { claim(r); }}>
              {t("overdue.claim")}
            </Button>
          );
        }
        if (action === "repayRecourse" || action === "repayLoan") {
          return (
            <Button size="small" disabled={!maker} loading={busy === `repay:${id}`} onClick={() => { setPaying(r); }}>
              {t(action === "repayRecourse" ? "overdue.recordRecourse" : "overdue.recordLoan")}
            </Button>
          );
        }
        if (action === "markOverdue" || action === "markDefaulted") {
          return (
            <Space direction="vertical" size={0}>
              <Button size="small" disabled={!maker} loading={busy === `${action}:${id}`} onClick={() => { mark(r, action); }}>
                {t(action === "markOverdue" ? "overdue.markOverdue" : "overdue.markDefaulted")}
              </Button>
              <Typography.Text type="secondary">{t("overdue.waitDefault")}</Typography.Text>
            </Space>
          );
        }
        return null;
      },
    },
  ];

  return (
    <>
      <Typography.Title level={2}>{t("overdue.title")}</Typography.Title>
      <Typography.Paragraph>{t("overdue.intro")}</Typography.Paragraph>
      <Space className="block">
        <Select<Status>
          aria-label={t("drafts.filterStatus")}
          value={status}
          onChange={setStatus}
          style={{ minWidth: 160 }}
          options={STATUSES.map((s) => ({ value: s, label: t(`requestStatus.${s}` as MessageKey) }))}
        />
      </Space>
      <PagedTable<Row>
        label={t("overdue.title")}
        pages={pages}
        rowKey="id"
        columns={columns}
      />
      <TextPromptModal
        title={
          paying === null
            ? ""
            : t(paying.request.status === "recourse_claimed" ? "overdue.recordRecourse" : "overdue.recordLoan")
        }
        open={paying !== null}
        label={t("settle.reference")}
        required={t("settle.referenceRequired")}
        maxLength={128}
        onCancel={() => {
          setPaying(null);
        }}
        onSubmit={record}
      >
        {paying !== null && (
          <Alert
            className="block"
            type="info"
            showIcon
            message={t(paying.request.status === "recourse_claimed" ? "overdue.recordRecourseText" : "overdue.recordLoanText", {
              seller: nameOf(paying.request.requester),
              amount: formatMoney(paying.request.agreed?.repayment ?? "0", paying.request.currency, lang),
            })}
          />
        )}
      </TextPromptModal>
    </>
  );
}

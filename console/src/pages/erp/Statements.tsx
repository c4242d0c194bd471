// 对账单 (every member): the institution's statement of a period of whole days in the user's
// time zone (GET /v1/statements: each line's kind, counterparty, amount, status and payment
// reference, with totals per kind and currency) and its reconciliation by payment reference
// (GET /v1/reconciliation), each downloadable as CSV or XLSX (the API's own files, fetched
// with the session). The period is in the address (?from=&to=), this month by default.
import { App, Button, Card, DatePicker, Space, Table, Tabs, Tag, Typography } from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api, type Schemas } from "../../api/client";
import { asProblem, must, problemSentence } from "../../api/problems";
import { Money } from "../../components/Money";
import { ProblemAlert } from "../../components/ProblemAlert";
import { usePreferences } from "../../i18n/I18n";
import { MESSAGES, type MessageKey } from "../../i18n/messages";
import { formatDate } from "../../time";
import { useLoaded } from "../sme/useLoaded";
import { download, type Period } from "./erpApi";

type Line = Schemas["StatementLineOut"];
type Payment = Schemas["PaymentOut"];
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Today's date (YYYY-MM-DD) in `timeZone`. */
export function todayIn(timeZone: string, now = new Date()): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
}

/** The words of an API value (`stmt.kind.<value>`), or the value where none is written. */
function useLabel() {
  const { t } = usePreferences();
  return (prefix: string, value: string) => {
    const key = `${prefix}.${value}`;
    return key in MESSAGES.zh ? t(key as MessageKey) : value;
  };
}

function short(address: string): string {
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}

export function Statements() {
  const { t, lang, timeZone } = usePreferences();
  const { message } = App.useApp();
  const label = useLabel();
  const [params, setParams] = useSearchParams();
  const [busy, setBusy] = useState<string | null>(null);
  const month = todayIn(timeZone).slice(0, 7);
  const askedFrom = params.get("from") ?? "";
  const askedTo = params.get("to") ?? "";
  const from = DAY.test(askedFrom) ? askedFrom : `${month}-01`;
  const to = DAY.test(askedTo) ? askedTo : dayjs(`${month}-01`).endOf("month").format("YYYY-MM-DD");
  const period: Period = { from, to, tz: timeZone };
  const key = `${from}:${to}:${timeZone}`;
  // JSON unless a format is asked (the schema also names the CSV and XLSX answers).
  const statement = useLoaded(
    async () => must(await api.GET("/v1/statements", { params: { query: period } })) as Schemas["StatementOut"],
    `s:${key}`,
  );
  const payments = useLoaded(
    async () => must(await api.GET("/v1/reconciliation", { params: { query: period } })) as Schemas["ReconciliationOut"],
    `r:${key}`,
  );

  const choose = (which: "from" | "to") => (day: Dayjs | null) => {
    if (day === null) return;
    const next = { from, to, [which]: day.format("YYYY-MM-DD") };
    // A first day after the last moves the other with it (the API refuses such a period).
    if (next.from > next.to) {
      if (which === "from") next.to = next.from;
      else next.from = next.to;
    }
    setParams({ from: next.from, to: next.to });
  };

  const save = async (what: "/v1/statements" | "/v1/reconciliation", format: "csv" | "xlsx") => {
    const id = `${what}:${format}`;
    setBusy(id);
    try {
      await download(what, period, format);
    } catch (error) {
      void message.error(problemSentence(asProblem(error), lang), 10);
    } finally {
      setBusy(null);
    }
  };

  const downloads = (what: "/v1/statements" | "/v1/reconciliation") => (
    <Space wrap>
      {(["csv", "xlsx"] as const).map((format) => (
        <Button key={format} loading={busy === `${what}:${format}`} onClick={() => void save(what, format)}>
          {t(format === "csv" ? "stmt.downloadCsv" : "stmt.downloadXlsx")}
        </Button>
      ))}
    </Space>
  );

  const piece = (r: { token_id: number | null; slot: number | null }) =>
    r.token_id !== null ? <Link to={`/pieces/${r.token_id}`}>#{r.token_id}</Link> : r.slot !== null ? `#${r.slot}` : "—";

  const lines = (
    <Card title={t("stmt.lines")} extra={downloads("/v1/statements")} className="block">
      {statement.problem !== null ? (
        <ProblemAlert problem={statement.problem} onRetry={statement.reload} />
      ) : (
        <>
          <Space wrap className="block" data-testid="statement-totals">
            {(statement.data?.totals ?? []).map((total) => (
              <Tag key={`${total.kind}:${total.currency}`}>
                {label("stmt.kind", total.kind)} × {total.lines}: <Money value={total.amount} currency={total.currency} />
              </Tag>
            ))}
          </Space>
          <Table<Line>
            aria-label={t("stmt.lines")}
            size="middle"
            loading={statement.data === null}
            dataSource={statement.data?.lines ?? []}
            rowKey={(l) => `${l.tx_hash}:${l.kind}:${l.token_id ?? l.slot ?? ""}:${l.counterparty}`}
            pagination={{ pageSize: 20, showSizeChanger: false, hideOnSinglePage: true }}
            scroll={{ x: "max-content" }}
            locale={{ emptyText: t("stmt.empty") }}
            columns={[
              { title: t("stmt.at"), dataIndex: "at", render: (at: number) => formatDate(at, lang, timeZone, true) },
              { title: t("stmt.kind"), dataIndex: "kind", render: (k: string) => label("stmt.kind", k) },
              {
                title: t("stmt.counterparty"),
                key: "counterparty",
                render: (_: unknown, l: Line) => l.counterparty_name ?? <code>{short(l.counterparty)}</code>,
              },
              { title: t("stmt.piece"), key: "piece", render: (_: unknown, l: Line) => piece(l) },
              {
                title: t("stmt.amount"),
                key: "amount",
                align: "right" as const,
                render: (_: unknown, l: Line) => (l.amount === null ? "—" : <Money value={l.amount} currency={l.currency} />),
              },
              { title: t("stmt.status"), dataIndex: "status", render: (s: string) => label("stmt.status", s) },
              {
                title: t("stmt.reference"),
                dataIndex: "payment_ref",
                render: (r: string | null) => (r === null ? "—" : <code>{r}</code>),
              },
            ]}
          />
        </>
      )}
    </Card>
  );

  const reconciliation = (
    <Card title={t("stmt.reconciliation")} extra={downloads("/v1/reconciliation")}>
      {payments.problem !== null ? (
        <ProblemAlert problem={payments.problem} onRetry={payments.reload} />
      ) : (
        <Table<Payment>
          aria-label={t("stmt.reconciliation")}
          size="middle"
          loading={payments.data === null}
          dataSource={payments.data?.payments ?? []}
          rowKey={(p) => `${p.tx_hash}:${p.payment_ref_hash}:${p.token_id ?? p.request_id ?? ""}:${p.kind}`}
          pagination={{ pageSize: 20, showSizeChanger: false, hideOnSinglePage: true }}
          scroll={{ x: "max-content" }}
          locale={{ emptyText: t("stmt.noPayments") }}
          columns={[
            {
              title: t("stmt.reference"),
              key: "ref",
              render: (_: unknown, p: Payment) => <code>{p.payment_ref ?? short(p.payment_ref_hash)}</code>,
            },
            { title: t("stmt.kind"), dataIndex: "kind", render: (k: string) => label("stmt.kind", k) },
            {
              title: t("stmt.amount"),
              key: "amount",
              align: "right" as const,
              render: (_: unknown, p: Payment) => (p.amount === null ? "—" : <Money value={p.amount} currency={p.currency} />),
            },
            { title: t("stmt.payer"), key: "payer", render: (_: unknown, p: Payment) => p.payer_name ?? short(p.payer) },
            { title: t("stmt.payee"), key: "payee", render: (_: unknown, p: Payment) => p.payee_name ?? short(p.payee) },
            { title: t("stmt.piece"), key: "piece", render: (_: unknown, p: Payment) => piece(p) },
            { title: t("stmt.status"), dataIndex: "status", render: (s: string) => label("stmt.status", s) },
            { title: t("stmt.at"), dataIndex: "at", render: (at: number) => formatDate(at, lang, timeZone, true) },
          ]}
        />
      )}
    </Card>
  );

  return (
    <>
      <Typography.Title level={2}>{t("stmt.title")}</Typography.Title>
      <Typography.Paragraph type="secondary">{t("stmt.intro", { zone: timeZone })}</Typography.Paragraph>
      <Space className="block" wrap>
        <DatePicker allowClear={false} value={dayjs(from)} onChange={choose("from")} aria-label={t("stmt.from")} />
        <DatePicker allowClear={false} value={dayjs(to)} onChange={choose("to")} aria-label={t("stmt.to")} />
      </Space>
      <Tabs
        items={[
          { key: "statement", label: t("stmt.lines"), children: lines },
          { key: "reconciliation", label: t("stmt.reconciliation"), children: reconciliation },
        ]}
      />
    </>
  );
}

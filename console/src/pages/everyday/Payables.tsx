// The core enterprise's payables calendar: what falls due, by day and by supplier (the
// holder it pays at maturity), in a month of the user's time zone. From its pieces as
// debtor (GET /v1/pieces?debtor=<own>&due_from&due_to), open ones only; amounts exact.
import { Alert, Calendar, Card, Col, DatePicker, Row, Skeleton, Space, Table, Tag, Typography } from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { useEffect, useState } from "react";
import { useSearchParams } from "react-router";
import { api, type Piece } from "../../api/client";
import { asProblem, must, type Problem } from "../../api/problems";
import { Money } from "../../components/Money";
import { ProblemAlert } from "../../components/ProblemAlert";
import { usePreferences } from "../../i18n/I18n";
import { useSession, useSignedIn } from "../../session/Session";
import { allPages, groupTotals, OPEN_STATES, type Group } from "./sums";

const MONTH = /^(\d{4})-(\d{2})$/;
const DAY = 86_400;

/** The date (YYYY-MM-DD) of Unix seconds `when` in `timeZone`. */
export function dayIn(when: number, timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(
    new Date(when * 1000),
  );
}

function Totals({ groups }: { groups: Group[] }) {
  return (
    <Space direction="vertical" size={0}>
      {groups.map((g) => (
        <Money key={g.currency} value={g.total} currency={g.currency} />
      ))}
    </Space>
  );
}

export function Payables() {
  const { t, timeZone } = usePreferences();
  const { nameOf } = useSession();
  const who = useSignedIn();
  const [params, setParams] = useSearchParams();
  const asked = MONTH.exec(params.get("month") ?? "");
  const month = asked ? dayjs(`${asked[1]}-${asked[2]}-01`) : dayjs().startOf("month");
  const key = month.format("YYYY-MM");
  const [pieces, setPieces] = useState<{ items: Piece[]; complete: boolean } | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const debtor = who.participant?.address ?? "";

  useEffect(() => {
    let live = true;
    setPieces(null);
    setProblem(null);
    // A day either side (any time zone's month), then each piece by its day in the zone.
    const from = Math.floor(Date.UTC(month.year(), month.month(), 1) / 1000) - DAY;
    const to = Math.floor(Date.UTC(month.year(), month.month() + 1, 1) / 1000) + DAY;
    allPages(async (cursor) =>
      must(
        await api.GET("/v1/pieces", {
          params: { query: { debtor, due_from: from, due_to: to, limit: 500, cursor } },
        }),
      ),
    ).then(
      (found) => {
        if (!live) return;
        const open = found.items.filter(
          (p) => OPEN_STATES.has(p.state) && dayIn(p.receivable.due_date, timeZone).startsWith(key),
        );
        setPieces({ items: open, complete: found.complete });
      },
      (error: unknown) => {
        if (live) setProblem(asProblem(error));
      },
    );
    return () => {
      live = false;
    };
    // `month` is rebuilt every render; `key` names it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, debtor, timeZone]);

  const byDay = new Map<string, Piece[]>();
  for (const p of pieces?.items ?? []) {
    const day = dayIn(p.receivable.due_date, timeZone);
    byDay.set(day, [...(byDay.get(day) ?? []), p]);
  }
  const days = [...byDay.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([day, due]) => ({ day, groups: groupTotals(due, () => day), count: due.length }));
  const suppliers = groupTotals(pieces?.items ?? [], (p) => p.holder).sort((a, b) => b.count - a.count);
  const choose = (d: Dayjs) => {
    setParams({ month: d.format("YYYY-MM") });
  };

  return (
    <>
      <Typography.Title level={2}>{t("payables.title")}</Typography.Title>
      <Typography.Paragraph type="secondary">{t("payables.intro")}</Typography.Paragraph>
      <Space className="block">
        <DatePicker picker="month" allowClear={false} value={month} onChange={choose} aria-label={t("payables.month")} />
      </Space>
      {problem !== null && <ProblemAlert problem={problem} />}
      {problem === null && pieces === null && <Skeleton active aria-busy="true" aria-label={t("common.loading")} />}
      {pieces !== null && (
        <>
          {!pieces.complete && <Alert type="warning" showIcon className="block" message={t("portfolio.partial")} />}
          <Row gutter={[16, 16]}>
            <Col xs={24} xl={14}>
              <Card title={t("payables.calendar")}>
                <Calendar
                  value={month}
                  headerRender={() => null}
                  fullCellRender={(date, info) => {
                    if (info.type !== "date") return info.originNode;
                    const here = byDay.get(date.format("YYYY-MM-DD"));
                    const inMonth = date.format("YYYY-MM") === key;
                    return (
                      <div className={`payables-cell${inMonth ? "" : " payables-other"}`}>
                        <div>{date.date()}</div>
                        {inMonth && here !== undefined && (
                          <Tag color="orange" className="payables-tag">
                            <Totals groups={groupTotals(here, () => "")} />
                          </Tag>
                        )}
                      </div>
                    );
                  }}
                />
              </Card>
            </Col>
            <Col xs={24} xl={10}>
              <Card title={t("payables.byDay")} className="block">
                <Table
                  aria-label={t("payables.byDay")}
                  size="small"
                  rowKey="day"
                  pagination={false}
                  dataSource={days}
                  locale={{ emptyText: t("payables.nothing") }}
                  columns={[
                    { title: t("payables.day"), dataIndex: "day" },
                    { title: t("payables.pieces"), dataIndex: "count", align: "right" as const },
                    { title: t("payables.amount"), key: "amount", align: "right" as const, render: (_: unknown, d: { groups: Group[] }) => <Totals groups={d.groups} /> },
                  ]}
                />
              </Card>
              <Card title={t("payables.bySupplier")}>
                <Table
                  aria-label={t("payables.bySupplier")}
                  size="small"
                  rowKey={(g) => `${g.key}-${g.currency}`}
                  pagination={false}
                  dataSource={suppliers}
                  locale={{ emptyText: t("payables.nothing") }}
                  columns={[
                    { title: t("payables.supplier"), dataIndex: "key", render: (a: string) => nameOf(a) },
                    { title: t("payables.pieces"), dataIndex: "count", align: "right" as const },
                    { title: t("payables.amount"), key: "amount", align: "right" as const, render: (_: unknown, g: Group) => <Money value={g.total} currency={g.currency} /> },
                  ]}
                />
              </Card>
            </Col>
          </Row>
        </>
      )}
    </>
  );
}

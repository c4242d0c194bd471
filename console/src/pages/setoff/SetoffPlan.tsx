// 三角债清理 (set-off plan): for a currency, the institution's position before and after the
// plan's rounds (what it owes, what it is owed, its net: the same by construction) and the
// rounds it is party to with its own items; an auditor sees the whole market (total debt,
// what clears, net internal debt). A maker proposes one of the rounds, to be answered by a
// deadline on the chain's clock (7 days from chain time unless changed).
import { Alert, Button, Card, Empty, Form, InputNumber, Select, Skeleton, Space, Statistic, Table, Typography } from "antd";
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { api, type Schemas } from "../../api/client";
import { must } from "../../api/problems";
import { proposeRound, roundIdOf } from "../../api/setoffWrites";
import { Money } from "../../components/Money";
import { ProblemAlert } from "../../components/ProblemAlert";
import { useWrite } from "../../components/useWrite";
import { fromMinor, toMinor } from "../../decimal";
import { usePreferences } from "../../i18n/I18n";
import { currencyExponent, formatMoney } from "../../money";
import { useSession, useSignedIn } from "../../session/Session";
import { formatDate } from "../../time";
import { useLoaded } from "../sme/useLoaded";

type Plan = Schemas["PlanOut"];
type Planned = Schemas["PlannedRoundOut"];
type Position = Schemas["PositionOut"];
type Clearing = Schemas["ClearingOut"];

const DAY = 86_400;
const DEFAULT_DAYS = 7;
const MAX_DAYS = 30; // SetOff's MAX_ROUND_TTL

interface Found {
  plan: Plan;
  now: number; // the chain's time: deadlines are set on it
}

/** `a - b` of two decimal strings in `currency`, exactly (null if either is not one). */
function minus(a: string, b: string, currency: string): string | null {
  const exponent = currencyExponent(currency);
  const x = toMinor(a, exponent);
  const y = toMinor(b, exponent);
  return x === null || y === null ? null : fromMinor(x - y, exponent);
}

export function SetoffPlan() {
  const { t } = usePreferences();
  const currencies = useLoaded(async () => must(await api.GET("/v1/currencies")).currencies, "currencies");
  const [chosen, setChosen] = useState<string | null>(null);
  if (currencies.problem !== null) return <ProblemAlert problem={currencies.problem} onRetry={currencies.reload} />;
  if (currencies.data === null) return <Skeleton active aria-busy="true" aria-label={t("common.loading")} />;
  const codes = currencies.data.map((c) => c.code);
  const currency = chosen ?? currencies.data.find((c) => c.issuable)?.code ?? codes[0] ?? "CNY";
  return (
    <>
      <Typography.Title level={2}>{t("setoff.plan.title")}</Typography.Title>
      <Typography.Paragraph>{t("setoff.plan.intro")}</Typography.Paragraph>
      <Space className="block">
        <Select<string>
          aria-label={t("setoff.currency")}
          value={currency}
          onChange={setChosen}
          style={{ minWidth: 120 }}
          options={codes.map((c) => ({ value: c, label: c }))}
        />
        <Link to="/setoff/rounds">{t("setoff.plan.toRounds")}</Link>
      </Space>
      <PlanOf currency={currency} />
    </>
  );
}

function PlanOf({ currency }: { currency: string }) {
  const { t, lang, timeZone } = usePreferences();
  const who = useSignedIn();
  const auditor = (who.participant?.roles ?? []).includes("auditor");
  const found = useLoaded<Found>(async () => {
    const [plan, time] = await Promise.all([
      api.GET("/v1/setoff/plan", { params: { query: { currency } } }).then(must),
      api.GET("/v1/chain/time").then(must),
    ]);
    return { plan, now: time.block_timestamp };
  }, `plan:${currency}`);
  if (found.problem !== null) return <ProblemAlert problem={found.problem} onRetry={found.reload} />;
  if (found.data === null) return <Skeleton active aria-busy="true" aria-label={t("common.loading")} />;
  const { plan, now } = found.data;
  return (
    <>
      <Typography.Paragraph type="secondary" data-testid="plan-time">
        {t("setoff.plan.asOf", { time: formatDate(plan.chain_time, lang, timeZone, true) })}
      </Typography.Paragraph>
      {auditor ? <Market plan={plan} /> : null}
      <Positions plan={plan} auditor={auditor} />
      <Typography.Title level={3}>{t("setoff.plan.rounds")}</Typography.Title>
      {plan.rounds.length === 0 ? (
        <Card className="block">
          <Empty description={t("setoff.plan.nothing")} />
        </Card>
      ) : (
        plan.rounds.map((r) => (
          <PlannedRound key={r.number} planned={r} currency={plan.currency} now={now} auditor={auditor} onProposed={found.reload} />
        ))
      )}
    </>
  );
}

/** The whole market (auditors): total debt, what the plan clears, what stays; the net
 * internal debt, which clearing never changes. */
function Market({ plan }: { plan: Plan }) {
  const { t, lang } = usePreferences();
  const { currency } = plan;
  const shown = (value: string | null) => (value === null ? "—" : formatMoney(value, currency, lang));
  const after = plan.total_debt === null || plan.cleared === null ? null : minus(plan.total_debt, plan.cleared, currency);
  return (
    <Card title={t("setoff.market.title")} className="block" data-testid="market">
      <Space size="large" wrap>
        <Statistic title={t("setoff.market.totalDebt")} value={shown(plan.total_debt)} />
        <Statistic title={t("setoff.market.cleared")} value={shown(plan.cleared)} />
        <Statistic title={t("setoff.market.debtAfter")} value={shown(after)} />
        <Statistic title={t("setoff.market.netInternal")} value={shown(plan.net_internal_debt)} />
      </Space>
      <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0 }}>
        {t("setoff.market.note")}
      </Typography.Paragraph>
    </Card>
  );
}

function Positions({ plan, auditor }: { plan: Plan; auditor: boolean }) {
  const { t } = usePreferences();
  const { nameOf } = useSession();
  const money = (value: string) => <Money value={value} currency={plan.currency} />;
  const columns = [
    { title: t("setoff.member"), key: "member", render: (_: unknown, p: Position) => nameOf(p.member) },
    { title: t("setoff.position.payableBefore"), key: "pb", align: "right" as const, render: (_: unknown, p: Position) => money(p.payable_before) },
    { title: t("setoff.position.payableAfter"), key: "pa", align: "right" as const, render: (_: unknown, p: Position) => money(p.payable_after) },
    { title: t("setoff.position.receivableBefore"), key: "rb", align: "right" as const, render: (_: unknown, p: Position) => money(p.receivable_before) },
    { title: t("setoff.position.receivableAfter"), key: "ra", align: "right" as const, render: (_: unknown, p: Position) => money(p.receivable_after) },
    { title: t("setoff.position.net"), key: "net", align: "right" as const, render: (_: unknown, p: Position) => money(p.net) },
  ];
  const title = auditor ? t("setoff.position.everyone") : t("setoff.position.mine");
  return (
    <Card title={title} className="block">
      <Table<Position>
        aria-label={title}
        size="middle"
        rowKey="member"
        columns={columns}
        dataSource={plan.positions}
        pagination={false}
        scroll={{ x: "max-content" }}
        locale={{ emptyText: <Empty description={t("setoff.position.none")} /> }}
      />
      <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0 }}>
        {t("setoff.position.note")}
      </Typography.Paragraph>
    </Card>
  );
}

function PlannedRound({
  planned,
  currency,
  now,
  auditor,
  onProposed,
}: {
  planned: Planned;
  currency: string;
  now: number;
  auditor: boolean;
  onProposed: () => void;
}) {
  const { t, lang, timeZone } = usePreferences();
  const { nameOf } = useSession();
  const who = useSignedIn();
  const navigate = useNavigate();
  const { busy, run } = useWrite();
  const [days, setDays] = useState<number>(DEFAULT_DAYS);
  const maker = who.person.roles.includes("maker");
  const title = t("setoff.plan.round", {
    n: planned.number,
    count: planned.item_count,
    total: formatMoney(planned.total, currency, lang),
  });

  const propose = async () => {
    // The deadline is on the chain's clock as it is now, not as the plan was read.
    const time = must(await api.GET("/v1/chain/time"));
    const deadline = time.block_timestamp + days * DAY;
    const result = await run(
      `propose:${planned.number}`,
      () => proposeRound(currency, planned.number, deadline),
      t("setoff.plan.proposed"),
    );
    const id = result === null ? null : roundIdOf(result);
    if (id !== null) {
      void navigate(`/setoff/rounds/${id}`);
    } else if (result !== null) {
      onProposed();
    }
  };

  const columns = [
    { title: t("piece.tokenId"), key: "piece", render: (_: unknown, c: Clearing) => <Link to={`/pieces/${c.piece}`}>#{c.piece}</Link> },
    { title: t("setoff.debtor"), key: "debtor", render: (_: unknown, c: Clearing) => nameOf(c.debtor) },
    { title: t("setoff.holder"), key: "creditor", render: (_: unknown, c: Clearing) => nameOf(c.creditor) },
    { title: t("setoff.clears"), key: "amount", align: "right" as const, render: (_: unknown, c: Clearing) => <Money value={c.amount} currency={currency} /> },
  ];
  return (
    <Card title={title} className="block" data-testid={`planned-${planned.number}`}>
      {planned.items.length < planned.item_count ? (
        <Typography.Paragraph type="secondary">
          {t("setoff.plan.mineOnly", { shown: planned.items.length, count: planned.item_count })}
        </Typography.Paragraph>
      ) : null}
      <Table<Clearing>
        aria-label={title}
        size="small"
        rowKey="piece"
        columns={columns}
        dataSource={planned.items}
        pagination={false}
        scroll={{ x: "max-content" }}
        locale={{ emptyText: <Empty description={t("common.empty")} /> }}
      />
      {auditor ? null : (
        <Form layout="inline" style={{ marginTop: 16 }} onFinish={() => void propose()}>
          <Form.Item label={t("setoff.plan.days")} htmlFor={`days-${planned.number}`}>
            <InputNumber<number>
              id={`days-${planned.number}`}
              min={1}
              max={MAX_DAYS}
              precision={0}
              value={days}
              onChange={(value) => {
                setDays(value ?? DEFAULT_DAYS);
              }}
            />
          </Form.Item>
          <Form.Item label={t("setoff.deadline")}>
            <span data-testid={`deadline-${planned.number}`}>{formatDate(now + days * DAY, lang, timeZone, true)}</span>
          </Form.Item>
          <Button type="primary" htmlType="submit" disabled={!maker} loading={busy === `propose:${planned.number}`}>
            {t("setoff.plan.propose")}
          </Button>
        </Form>
      )}
      {auditor || maker ? null : <Alert type="info" showIcon style={{ marginTop: 12 }} message={t("setoff.makerOnly")} />}
    </Card>
  );
}

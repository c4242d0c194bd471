// A set-off round (清分轮次): every item (piece, holder, debtor, amount, what remains after
// execution), every party's answer, the deadline on the chain's clock, and what the round
// changes for the institution (the receivables it gives up, the debt it sheds, its answer).
// A party consents (同意: a maker's consent is a draft its checker approves on 复核) or
// refuses with a reason (拒绝); once every party consented, a member executes it (执行).
import { Alert, App, Button, Card, Descriptions, Empty, Skeleton, Space, Table, Tooltip, Typography } from "antd";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { api, type Schemas } from "../../api/client";
import { must } from "../../api/problems";
import { consentRound, executeRound, refuseRound } from "../../api/setoffWrites";
import { Money } from "../../components/Money";
import { ProblemAlert } from "../../components/ProblemAlert";
import { ReasonModal } from "../../components/ReasonModal";
import { useWrite } from "../../components/useWrite";
import { usePreferences } from "../../i18n/I18n";
import { formatMoney } from "../../money";
import { useSession, useSignedIn } from "../../session/Session";
import { formatDate } from "../../time";
import { useLoaded } from "../sme/useLoaded";
import { AnswerTag, currencyOf, RoundStatusTag, type Round } from "./roundTags";

type Item = Schemas["RoundItemOut"];
type Party = Schemas["PartyOut"];

export function RoundDetail() {
  const { t } = usePreferences();
  const roundId = Number(useParams().roundId);
  const found = useLoaded(
    async () => must(await api.GET("/v1/setoff/rounds/{round_id}", { params: { path: { round_id: roundId } } })),
    `round:${roundId}`,
  );
  if (!Number.isSafeInteger(roundId) || roundId < 1) {
    return <Alert type="error" showIcon role="alert" message={t("setoff.round.badId")} />;
  }
  if (found.problem !== null) return <ProblemAlert problem={found.problem} onRetry={found.reload} />;
  if (found.data === null) return <Skeleton active aria-busy="true" aria-label={t("common.loading")} />;
  return <RoundView round={found.data} reload={found.reload} />;
}

function RoundView({ round, reload }: { round: Round; reload: () => void }) {
  const { t, lang, timeZone } = usePreferences();
  const { nameOf } = useSession();
  const who = useSignedIn();
  const { modal } = App.useApp();
  const { busy, run } = useWrite();
  const [refusing, setRefusing] = useState(false);
  const currency = currencyOf(round);
  const me = (who.participant?.address ?? "").toLowerCase();
  const auditor = (who.participant?.roles ?? []).includes("auditor");
  const maker = who.person.roles.includes("maker");
  const party = round.my_answer !== null;
  const open = round.status === "proposed";
  const everyone = round.consents >= round.party_count;
  const ours = (address: string) => (address.toLowerCase() === me ? ` (${t("common.you")})` : "");
  const total = formatMoney(round.total, currency, lang);

  const consent = () => {
    modal.confirm({
      title: t("setoff.round.consentTitle", { id: round.id }),
      content: t("setoff.round.consentText", {
        givesUp: formatMoney(round.gives_up, currency, lang),
        sheds: formatMoney(round.sheds, currency, lang),
      }),
      okText: t("setoff.round.consent"),
      cancelText: t("common.cancel"),
      onOk: () => run("consent", () => consentRound(round.id), t("setoff.round.consented", { id: round.id })).then(reload),
    });
  };
  const execute = () => {
    modal.confirm({
      title: t("setoff.round.executeTitle", { id: round.id }),
      content: t("setoff.round.executeText", { total, count: round.item_count }),
      okText: t("setoff.round.execute"),
      cancelText: t("common.cancel"),
      // Refused (a party refused meanwhile, a piece changed...): the sentence, then the
      // round as it now stands.
      onOk: () => run("execute", () => executeRound(round.id), t("setoff.round.executed", { id: round.id })).then(reload),
    });
  };
  const refuse = async (reason: string) => {
    setRefusing(false);
    await run("refuse", () => refuseRound(round.id, reason), t("setoff.round.refused", { id: round.id }));
    reload();
  };

  const itemColumns = [
    { title: t("piece.tokenId"), key: "piece", render: (_: unknown, i: Item) => <Link to={`/pieces/${i.piece}`}>#{i.piece}</Link> },
    { title: t("piece.slot"), key: "slot", render: (_: unknown, i: Item) => `#${i.slot}` },
    { title: t("setoff.holder"), key: "holder", render: (_: unknown, i: Item) => nameOf(i.holder) + ours(i.holder) },
    { title: t("setoff.debtor"), key: "debtor", render: (_: unknown, i: Item) => nameOf(i.debtor) + ours(i.debtor) },
    { title: t("setoff.clears"), key: "amount", align: "right" as const, render: (_: unknown, i: Item) => <Money value={i.amount} currency={currency} /> },
    {
      title: t("setoff.remaining"),
      key: "remaining",
      align: "right" as const,
      render: (_: unknown, i: Item) => (i.remaining === null ? "—" : <Money value={i.remaining} currency={currency} />),
    },
  ];
  const partyColumns = [
    { title: t("setoff.party"), key: "party", render: (_: unknown, p: Party) => nameOf(p.party) + ours(p.party) },
    { title: t("setoff.answer"), key: "answer", render: (_: unknown, p: Party) => <AnswerTag answer={p.answer} /> },
  ];

  return (
    <>
      <Typography.Title level={2}>{t("setoff.round.title", { id: round.id })}</Typography.Title>
      <Space className="block" wrap>
        <Link to="/setoff/rounds">{t("setoff.round.back")}</Link>
        <Link to="/setoff/plan">{t("setoff.rounds.toPlan")}</Link>
      </Space>
      {round.status === "lapsed" ? (
        <Alert type="warning" showIcon className="block" message={t("setoff.round.lapsed", { time: formatDate(round.deadline, lang, timeZone, true) })} />
      ) : null}
      {round.status === "refused" ? (
        <Alert type="error" showIcon className="block" data-testid="refusal" message={t("setoff.round.refusedBy", { who: nameOf(round.refused_by) })} />
      ) : null}
      {round.status === "executed" ? (
        <Alert type="success" showIcon className="block" message={t("setoff.round.done", { total, who: nameOf(round.executor) })} />
      ) : null}
      <Card className="block">
        <Descriptions column={{ xs: 1, md: 2 }} size="small" data-testid="round-facts">
          <Descriptions.Item label={t("piece.state")}>
            <RoundStatusTag status={round.status} />
          </Descriptions.Item>
          <Descriptions.Item label={t("setoff.total")}>
            <Money value={round.total} currency={currency} />
          </Descriptions.Item>
          <Descriptions.Item label={t("setoff.proposer")}>{nameOf(round.proposer) + ours(round.proposer)}</Descriptions.Item>
          <Descriptions.Item label={t("setoff.deadline")}>
            {formatDate(round.deadline, lang, timeZone, true)} {t("setoff.round.chainClock")}
          </Descriptions.Item>
          <Descriptions.Item label={t("setoff.consents")}>{`${round.consents} / ${round.party_count}`}</Descriptions.Item>
          <Descriptions.Item label={t("setoff.items")}>{round.item_count}</Descriptions.Item>
          {round.refused_by !== null ? (
            <Descriptions.Item label={t("setoff.round.reason")}>
              <code style={{ wordBreak: "break-all" }}>{round.reason ?? "—"}</code>
            </Descriptions.Item>
          ) : null}
        </Descriptions>
      </Card>
      {party ? (
        <Card title={t("setoff.round.forUs")} className="block" data-testid="for-us">
          <Descriptions column={{ xs: 1, md: 3 }} size="small">
            <Descriptions.Item label={t("setoff.givesUp")}>
              <Money value={round.gives_up} currency={currency} />
            </Descriptions.Item>
            <Descriptions.Item label={t("setoff.sheds")}>
              <Money value={round.sheds} currency={currency} />
            </Descriptions.Item>
            <Descriptions.Item label={t("setoff.myAnswer")}>
              <AnswerTag answer={round.my_answer} />
            </Descriptions.Item>
          </Descriptions>
          <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }}>
            {t("setoff.round.consentNote")}
          </Typography.Paragraph>
        </Card>
      ) : null}
      {auditor ? null : (
        <Space className="block" wrap>
          {party && open && round.my_answer === "awaiting" ? (
            <Button type="primary" disabled={!maker} loading={busy === "consent"} onClick={consent}>
              {t("setoff.round.consent")}
            </Button>
          ) : null}
          {party && open && round.my_answer !== "refused" ? (
            <Button
              danger
              disabled={!maker}
              loading={busy === "refuse"}
              onClick={() => {
                setRefusing(true);
              }}
            >
              {t("setoff.round.refuse")}
            </Button>
          ) : null}
          {open ? (
            <Tooltip title={everyone ? "" : t("setoff.round.waiting", { n: round.consents, of: round.party_count })}>
              <Button disabled={!maker || !everyone} loading={busy === "execute"} onClick={execute}>
                {t("setoff.round.execute")}
              </Button>
            </Tooltip>
          ) : null}
          {maker ? null : <Typography.Text type="secondary">{t("setoff.makerOnly")}</Typography.Text>}
        </Space>
      )}
      <Card title={t("setoff.round.items")} className="block">
        <Table<Item>
          aria-label={t("setoff.round.items")}
          size="middle"
          rowKey="piece"
          columns={itemColumns}
          dataSource={round.items}
          pagination={false}
          scroll={{ x: "max-content" }}
          locale={{ emptyText: <Empty description={t("common.empty")} /> }}
        />
      </Card>
      <Card title={t("setoff.round.parties")}>
        <Table<Party>
          aria-label={t("setoff.round.parties")}
          size="middle"
          rowKey="party"
          columns={partyColumns}
          dataSource={round.parties}
          pagination={false}
          locale={{ emptyText: <Empty description={t("common.empty")} /> }}
        />
      </Card>
      <ReasonModal
        title={t("setoff.round.refuseTitle", { id: round.id })}
        open={refusing}
        onCancel={() => {
          setRefusing(false);
        }}
        onSubmit={refuse}
      />
    </>
  );
}

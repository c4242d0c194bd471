// A financing request followed to funding: where it stands (steps), the terms asked, each
// financier's answer, the offers made compared on one scale (cheapest first: what the
// requester receives and gives, days, annualised cost); the requester accepts one (the
// others lapse) or withdraws the request; then the agreed terms and the funding.
import { Alert, App, Button, Card, Descriptions, Empty, Skeleton, Space, Steps, Table, Tag, Typography } from "antd";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { api, type Schemas } from "../../api/client";
import { asProblem, must, problemSentence } from "../../api/problems";
import { acceptOffer, withdrawRequest } from "../../api/smeWrites";
import type { Outcome } from "../../api/writes";
import { Money } from "../../components/Money";
import { ProblemAlert } from "../../components/ProblemAlert";
import { usePreferences } from "../../i18n/I18n";
import type { MessageKey } from "../../i18n/messages";
import { roundDecimal } from "../../decimal";
import { formatMoney } from "../../money";
import { useSession, useSignedIn } from "../../session/Session";
import { formatDate } from "../../time";
import { ENDED, RequestStatusTag } from "./requestStatus";
import { useLoaded } from "./useLoaded";

type Request = Schemas["FinancingOut"];
type Compared = Schemas["ComparedOfferOut"];
type Comparison = Schemas["ComparisonOut"];

interface Found {
  request: Request;
  comparison: Comparison | null;
}

async function load(requestId: number): Promise<Found> {
  const path = { params: { path: { request_id: requestId } } };
  const [request, comparison] = await Promise.all([
    api.GET("/v1/financing-requests/{request_id}", path).then(must),
    api.GET("/v1/financing-requests/{request_id}/offers/comparison", path),
  ]);
  return { request, comparison: comparison.data ?? null };
}

/** The step the request stands at: asked, offered, accepted, funded, closed. */
function stepOf(request: Request): number {
  const offered = request.offers.some((o) => o.status === "made");
  switch (request.status) {
    case "accepted":
      return 2;
    case "funded":
    case "recourse_claimed":
      return 3;
    case "repaid":
    case "settled":
    case "recourse_repaid":
      return 4;
    default:
      return offered ? 1 : 0;
  }
}

/** What the requester is told it owes or got back: a recourse claim, its repayment, a
 * pledge loan to repay (the financier records each payment made off-chain). */
function owedNote(request: Request): MessageKey | null {
  if (request.status === "recourse_claimed") return "financing.recourseClaimed";
  if (request.status === "recourse_repaid") return "financing.recourseRepaid";
  if (request.status === "funded" && request.mode === "pledge") return "financing.pledgeOwed";
  return null;
}

export function FinancingDetail() {
  const { requestId } = useParams();
  const id = Number(requestId);
  const { t } = usePreferences();
  if (!Number.isSafeInteger(id) || id < 1) return <Empty description={t("notFound.title")} />;
  return <RequestView requestId={id} />;
}

function RequestView({ requestId }: { requestId: number }) {
  const { t, lang, timeZone } = usePreferences();
  const { nameOf } = useSession();
  const who = useSignedIn();
  const { message, modal } = App.useApp();
  const [busy, setBusy] = useState<string | null>(null);
  const found = useLoaded(() => load(requestId), `request:${requestId}`);

  if (found.problem !== null) return <ProblemAlert problem={found.problem} onRetry={found.reload} />;
  if (found.data === null) return <Skeleton active aria-busy="true" aria-label={t("common.loading")} />;
  const { request, comparison } = found.data;
  const currency = request.currency;
  const money = (text: string) => formatMoney(text, currency, lang);
  const me = who.participant?.address.toLowerCase() ?? "";
  const requester = request.requester.toLowerCase() === me;
  const maker = who.person.roles.includes("maker");
  const open = request.status === "requested";
  const ended = ENDED.includes(request.status);
  const date = (seconds: number) => formatDate(seconds, lang, timeZone);

  const act = async (what: string, run: () => Promise<Outcome>, done: string) => {
    setBusy(what);
    try {
      const result = await run();
      if (result.kind === "drafted") {
        void message.info(t("inbox.drafted", { id: result.draft.id }), 6);
      } else {
        void message.success(done);
      }
      found.reload();
    } catch (error) {
      void message.error(problemSentence(asProblem(error), lang), 8);
    } finally {
      setBusy(null);
    }
  };

  const accept = (offer: Compared) => {
    const name = nameOf(offer.financier);
    const terms = {
      advance: offer.terms.advance,
      repayment: offer.terms.repayment,
      fees: offer.terms.fees,
      fund_by: offer.terms.fund_by,
    };
    modal.confirm({
      title: t("financing.acceptTitle", { name }),
      content: (
        <div data-testid="accept-confirmation">
          <p>{t("financing.acceptReceive", { amount: money(offer.received), date: date(offer.terms.fund_by) })}</p>
          <p>{t("financing.acceptGive", { amount: money(offer.given) })}</p>
          {offer.cost !== null && <p>{t("financing.acceptCost", { rate: roundDecimal(offer.cost.simple, 2) })}</p>}
          <p>{t("financing.acceptLapse")}</p>
        </div>
      ),
      okText: t("financing.acceptConfirm"),
      cancelText: t("common.cancel"),
      onOk: () =>
        act(offer.financier, () => acceptOffer(requestId, offer.financier, terms), t("financing.accepted", { name })),
    });
  };

  const withdraw = () => {
    modal.confirm({
      title: t("financing.withdrawTitle", { id: requestId }),
      content: t("financing.withdrawText"),
      okText: t("financing.withdraw"),
      okButtonProps: { danger: true },
      cancelText: t("common.cancel"),
      onOk: () => act("withdraw", () => withdrawRequest(requestId), t("financing.withdrawn", { id: requestId })),
    });
  };

  const terms = (label: MessageKey, shown: Request["asked"]) => (
    <Descriptions className="terms" size="small" column={{ xs: 1, md: 2, xl: 4 }} title={t(label)}>
      <Descriptions.Item label={t("ask.advance")}>
        <Money value={shown.advance} currency={currency} />
      </Descriptions.Item>
      <Descriptions.Item label={t("ask.fees")}>
        <Money value={shown.fees} currency={currency} />
      </Descriptions.Item>
      <Descriptions.Item label={t("ask.repayment")}>
        <Money value={shown.repayment} currency={currency} />
      </Descriptions.Item>
      <Descriptions.Item label={t("ask.fundBy")}>{date(shown.fund_by)}</Descriptions.Item>
    </Descriptions>
  );

  return (
    <>
      <Typography.Title level={2}>{t("financing.number", { id: requestId })}</Typography.Title>
      <Card className="block">
        <Steps
          aria-label={t("financing.progress")}
          current={stepOf(request)}
          status={ended ? "error" : request.status === "requested" ? "process" : "finish"}
          items={[
            { title: t("financing.stepAsked") },
            { title: t("financing.stepOffered") },
            { title: t("financing.stepAccepted") },
            { title: t("financing.stepFunded") },
            { title: t("financing.stepClosed") },
          ]}
        />
      </Card>
      <Card className="block">
        <Descriptions size="small" column={{ xs: 1, md: 2, xl: 3 }}>
          <Descriptions.Item label={t("piece.state")}>
            <span data-testid="request-status">
              <RequestStatusTag status={request.status} />
            </span>
          </Descriptions.Item>
          <Descriptions.Item label={t("piece.tokenId")}>
            <Link to={`/pieces/${request.token_id}`}>#{request.token_id}</Link>
          </Descriptions.Item>
          <Descriptions.Item label={t("financing.requester")}>{nameOf(request.requester)}</Descriptions.Item>
          <Descriptions.Item label={t("ask.mode")}>
            {t(`mode.${request.mode}` as MessageKey)}
            {request.recourse ? ` · ${t("ask.recourse")}` : ""}
          </Descriptions.Item>
          <Descriptions.Item label={t("financing.expires")}>
            {formatDate(request.expires_at, lang, timeZone, true)}
          </Descriptions.Item>
          {request.financier !== null && (
            <Descriptions.Item label={t("financing.financier")}>{nameOf(request.financier)}</Descriptions.Item>
          )}
          {request.payment_ref !== null && (
            <Descriptions.Item label={t("financing.paymentRef")}>{request.payment_ref}</Descriptions.Item>
          )}
        </Descriptions>
        {terms("financing.asked", request.asked)}
        {request.agreed !== null && terms("financing.agreed", request.agreed)}
        {requester && request.financier !== null && request.agreed !== null && owedNote(request) !== null && (
          <Alert
            className="terms"
            data-testid="owed-note"
            type={request.status === "recourse_claimed" ? "warning" : "info"}
            showIcon
            message={t(owedNote(request) as MessageKey, {
              financier: nameOf(request.financier),
              amount: money(request.agreed.repayment),
            })}
          />
        )}
        {requester && open && (
          <Space className="terms">
            <Button danger disabled={!maker} loading={busy === "withdraw"} onClick={withdraw}>
              {t("financing.withdraw")}
            </Button>
          </Space>
        )}
      </Card>
      <Card className="block" title={t("financing.answers")}>
        <Space wrap>
          {request.offers.map((o) => (
            <Tag key={o.financier} color={o.status === "made" ? "blue" : o.status === "declined" ? "red" : "default"}>
              {nameOf(o.financier)}: {t(`offerStatus.${o.status}` as MessageKey)}
              {o.reason ? ` (${o.reason})` : ""}
            </Tag>
          ))}
        </Space>
      </Card>
      <Card className="block" title={t("financing.comparison")}>
        <Table<Compared>
          aria-label={t("financing.comparison")}
          size="small"
          rowKey="financier"
          dataSource={comparison?.offers ?? []}
          pagination={false}
          scroll={{ x: "max-content" }}
          locale={{ emptyText: <Empty description={t("financing.noOffers")} /> }}
          columns={[
            { title: t("financing.rank"), dataIndex: "rank" },
            {
              title: t("financing.financier"),
              key: "financier",
              render: (_, o) => (
                <>
                  {nameOf(o.financier)} {o.accepted && <Tag color="blue">{t("financing.acceptedTag")}</Tag>}
                </>
              ),
            },
            { title: t("ask.advance"), key: "advance", align: "right", render: (_, o) => <Money value={o.terms.advance} currency={currency} /> },
            { title: t("ask.fees"), key: "fees", align: "right", render: (_, o) => <Money value={o.terms.fees} currency={currency} /> },
            { title: t("financing.received"), key: "received", align: "right", render: (_, o) => <Money value={o.received} currency={currency} /> },
            { title: t("financing.given"), key: "given", align: "right", render: (_, o) => <Money value={o.given} currency={currency} /> },
            { title: t("ask.fundBy"), key: "fundBy", render: (_, o) => date(o.terms.fund_by) },
            { title: t("financing.days"), dataIndex: "days", align: "right" },
            {
              title: t("financing.cost"),
              key: "cost",
              align: "right",
              render: (_, o) => (o.cost === null ? "—" : `${roundDecimal(o.cost.simple, 2)}%`),
            },
            {
              title: t("financing.effective"),
              key: "effective",
              align: "right",
              render: (_, o) => (o.cost === null ? "—" : `${roundDecimal(o.cost.effective, 2)}%`),
            },
            {
              title: "",
              key: "actions",
              render: (_, o) =>
                requester && open ? (
                  <Button
                    type="primary"
                    size="small"
                    disabled={!maker}
                    loading={busy === o.financier}
                    aria-label={t("financing.acceptOf", { name: nameOf(o.financier) })}
                    onClick={() => {
                      accept(o);
                    }}
                  >
                    {t("financing.accept")}
                  </Button>
                ) : null,
            },
          ]}
        />
        <Space className="pager">
          <Button onClick={found.reload}>{t("common.refresh")}</Button>
        </Space>
      </Card>
    </>
  );
}

// A financing request under review by a financier it names: the piece, the risk assessment
// with its reasons, an offer priced by the gateway (POST /v1/pricing/quote: the quote's
// `terms` are offered as they are), and the funding of an accepted offer.
import {
  Alert,
  Button,
  Card,
  DatePicker,
  Descriptions,
  Form,
  Input,
  List,
  Select,
  Skeleton,
  Tag,
  Typography,
} from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { useCallback, useEffect, useState } from "react";
import { Link, useParams } from "react-router";
import { api, type Piece, type Schemas } from "../../api/client";
import { fund, makeOffer } from "../../api/financeWrites";
import { asProblem, must, type Problem } from "../../api/problems";
import { Money } from "../../components/Money";
import { ProblemAlert } from "../../components/ProblemAlert";
import { StateTag } from "../../components/StateTag";
import { useWrite } from "../../components/useWrite";
import { usePreferences } from "../../i18n/I18n";
import type { MessageKey } from "../../i18n/messages";
import { useSession, useSignedIn } from "../../session/Session";
import { formatDate } from "../../time";
import { useLoaded } from "../sme/useLoaded";
import { ownOffer, type Request } from "./FinancingQueue";

type Risk = Schemas["RiskOut"];
type Quote = Schemas["QuoteOut"];

const DECISION_COLOURS: Record<Risk["decision"], string> = {
  approve: "green",
  refer: "orange",
  decline: "red",
};

function RiskCard({ requestId }: { requestId: number }) {
  const { t } = usePreferences();
  const [risk, setRisk] = useState<Risk | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  useEffect(() => {
    void api
      .GET("/v1/financing-requests/{request_id}/risk", {
        params: { path: { request_id: requestId } },
      })
      .then(must)
      .then(setRisk, (error: unknown) => {
        setProblem(asProblem(error));
      });
  }, [requestId]);
  return (
    <Card title={t("review.risk")} className="block" data-testid="risk">
      {problem !== null ? (
        <ProblemAlert problem={problem} />
      ) : risk === null ? (
        <Skeleton active aria-busy="true" aria-label={t("common.loading")} />
      ) : (
        <>
          <Typography.Paragraph>
            {t("review.decision")}{" "}
            <Tag color={DECISION_COLOURS[risk.decision]}>
              {t(`decision.${risk.decision}` as MessageKey)}
            </Tag>
          </Typography.Paragraph>
          <List
            size="small"
            bordered
            dataSource={risk.reasons}
            locale={{ emptyText: t("review.noReasons") }}
            renderItem={(reason) => (
              <List.Item>
                <Tag color={DECISION_COLOURS[reason.outcome]}>
                  {t(`decision.${reason.outcome}` as MessageKey)}
                </Tag>
                <code>{reason.code}</code> {reason.message}
              </List.Item>
            )}
          />
        </>
      )}
    </Card>
  );
}

interface QuoteFields {
  rate: string;
  funding: Dayjs;
  calendar: "china" | "weekends";
  bps?: string;
}

/** The offer, its funding date first set to the chain's today: deadlines are judged on the
 * chain's clock, which a dev chain moves ahead of the computer's. */
function OfferCard({ request, onDone }: { request: Request; onDone: () => void }) {
  const { t } = usePreferences();
  const clock = useLoaded(async () => must(await api.GET("/v1/chain/time")).block_timestamp, "chain-time");
  if (clock.problem !== null) return <ProblemAlert problem={clock.problem} onRetry={clock.reload} />;
  if (clock.data === null) return <Skeleton active aria-busy="true" aria-label={t("common.loading")} />;
  return <OfferForm request={request} onDone={onDone} today={dayjs.unix(clock.data)} />;
}

function OfferForm({ request, onDone, today }: { request: Request; onDone: () => void; today: Dayjs }) {
  const { t, lang, timeZone } = usePreferences();
  const { busy, run } = useWrite();
  const [quote, setQuote] = useState<Quote | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [quoting, setQuoting] = useState(false);
  const [form] = Form.useForm<QuoteFields>();

  const price = async (fields: QuoteFields) => {
    setQuote(null);
    setProblem(null);
    setQuoting(true);
    try {
      const bps = fields.bps?.trim();
      const answer = must(
        await api.POST("/v1/pricing/quote", {
          body: {
            method: request.mode === "pledge" ? "interest" : "discount",
            token_id: request.token_id,
            funding_date: fields.funding.format("YYYY-MM-DD"),
            rate: fields.rate.trim(),
            calendar: fields.calendar,
            recourse: request.recourse,
            ...(bps ? { fees: { bps } } : {}),
          },
        }),
      );
      setQuote(answer);
    } catch (error) {
      setProblem(asProblem(error));
    } finally {
      setQuoting(false);
    }
  };

  const offer = async () => {
    if (quote === null) return;
    const { advance, repayment, fees, fund_by } = quote.terms;
    const result = await run(
      "offer",
      () => makeOffer(request.id, { advance, repayment, fees, fund_by }),
      t("review.offered", { id: request.id }),
    );
    if (result !== null) onDone();
  };

  const money = (value: string | null) =>
    value === null ? "—" : <Money value={value} currency={quote?.currency ?? request.currency} />;

  return (
    <Card title={t("review.offer")} className="block">
      <Form<QuoteFields>
        form={form}
        layout="inline"
        initialValues={{ funding: today, calendar: "china" }}
        onFinish={(fields) => void price(fields)}
      >
        <Form.Item
          name="rate"
          label={t("review.rate")}
          rules={[{ required: true, pattern: /^\d+(\.\d+)?$/, message: t("review.rateInvalid") }]}
        >
          <Input inputMode="decimal" style={{ width: 100 }} suffix="%" autoComplete="off" />
        </Form.Item>
        <Form.Item name="funding" label={t("review.funding")} rules={[{ required: true }]}>
          <DatePicker format="YYYY-MM-DD" allowClear={false} />
        </Form.Item>
        <Form.Item name="calendar" label={t("review.calendar")}>
          <Select
            style={{ width: 140 }}
            options={[
              { value: "china", label: t("calendar.china") },
              { value: "weekends", label: t("calendar.weekends") },
            ]}
          />
        </Form.Item>
        <Form.Item
          name="bps"
          label={t("review.feesBps")}
          rules={[{ pattern: /^\d+(\.\d+)?$/, message: t("review.rateInvalid") }]}
        >
          <Input inputMode="decimal" style={{ width: 90 }} autoComplete="off" />
        </Form.Item>
        <Button htmlType="submit" loading={quoting}>
          {t("review.price")}
        </Button>
      </Form>
      {problem !== null && (
        <div style={{ marginTop: 16 }}>
          <ProblemAlert problem={problem} />
        </div>
      )}
      {quote !== null && (
        <div data-testid="quote" style={{ marginTop: 16 }}>
          <Descriptions bordered size="small" column={{ xs: 1, md: 2 }}>
            <Descriptions.Item label={t("review.advance")}>{money(quote.terms.advance)}</Descriptions.Item>
            <Descriptions.Item label={t("review.fees")}>{money(quote.terms.fees)}</Descriptions.Item>
            <Descriptions.Item label={t("review.received")}>{money(quote.received)}</Descriptions.Item>
            <Descriptions.Item label={t("review.repayment")}>{money(quote.terms.repayment)}</Descriptions.Item>
            <Descriptions.Item label={t("review.discount")}>
              {money(quote.discount ?? quote.interest)}
            </Descriptions.Item>
            <Descriptions.Item label={t("review.cost")}>
              {quote.cost.simple}% / {quote.cost.effective}%
            </Descriptions.Item>
            <Descriptions.Item label={t("review.days")}>
              {quote.days} ({quote.day_count})
            </Descriptions.Item>
            <Descriptions.Item label={t("review.fundBy")}>
              {formatDate(quote.terms.fund_by, lang, timeZone, true)}
            </Descriptions.Item>
            <Descriptions.Item label={t("piece.dueDate")}>
              {quote.due_date.adjusted}
              {quote.due_date.moved ? ` (${quote.due_date.reason ?? ""})` : ""}
            </Descriptions.Item>
          </Descriptions>
          <Button
            type="primary"
            style={{ marginTop: 16 }}
            loading={busy === "offer"}
            onClick={() => void offer()}
          >
            {t("review.makeOffer")}
          </Button>
        </div>
      )}
    </Card>
  );
}

function FundCard({ request, onDone }: { request: Request; onDone: () => void }) {
  const { t } = usePreferences();
  const { busy, run } = useWrite();
  const [form] = Form.useForm<{ reference: string }>();
  const agreed = request.agreed;
  return (
    <Card title={t("review.fund")} className="block">
      {agreed !== null && (
        <Typography.Paragraph>
          {t("review.agreed")} <Money value={agreed.advance} currency={request.currency} /> −{" "}
          <Money value={agreed.fees} currency={request.currency} />
        </Typography.Paragraph>
      )}
      <Form
        form={form}
        layout="inline"
        onFinish={({ reference }: { reference: string }) =>
          void run("fund", () => fund(request.id, reference.trim()), t("review.funded", { id: request.id })).then(
            (result) => {
              if (result !== null) onDone();
            },
          )
        }
      >
        <Form.Item
          name="reference"
          label={t("settle.reference")}
          rules={[{ required: true, whitespace: true, max: 200, message: t("settle.referenceRequired") }]}
        >
          <Input style={{ minWidth: 280 }} autoComplete="off" />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={busy === "fund"}>
          {t("review.fundSubmit")}
        </Button>
      </Form>
    </Card>
  );
}

export function RequestReview() {
  const { requestId } = useParams();
  const id = Number(requestId);
  const { t, lang, timeZone } = usePreferences();
  const { nameOf } = useSession();
  const who = useSignedIn();
  const address = who.participant?.address ?? "";
  const [found, setFound] = useState<{ request: Request; piece: Piece } | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => {
    setTick((n) => n + 1);
  }, []);

  useEffect(() => {
    const ended = new AbortController();
    setProblem(null);
    void (async () => {
      try {
        const request = must(
          await api.GET("/v1/financing-requests/{request_id}", {
            params: { path: { request_id: id } },
          }),
        );
        const piece = must(
          await api.GET("/v1/pieces/{token_id}", { params: { path: { token_id: request.token_id } } }),
        );
        if (!ended.signal.aborted) setFound({ request, piece });
      } catch (error) {
        if (!ended.signal.aborted) setProblem(asProblem(error));
      }
    })();
    return () => {
      ended.abort();
    };
  }, [id, tick]);

  if (problem !== null) return <ProblemAlert problem={problem} onRetry={reload} />;
  if (found === null) return <Skeleton active aria-busy="true" aria-label={t("common.loading")} />;
  const { request, piece } = found;
  const own = ownOffer(request, address);
  const mine = request.financier?.toLowerCase() === address.toLowerCase();
  const maker = who.person.roles.includes("maker");
  return (
    <>
      <Typography.Title level={2}>{t("review.title", { id: request.id })}</Typography.Title>
      <Card className="block">
        <Descriptions column={{ xs: 1, md: 2, xl: 3 }} size="small">
          <Descriptions.Item label={t("piece.state")}>
            <Tag color="blue" data-testid="request-status">
              {t(`request.${request.status}` as MessageKey)}
            </Tag>
          </Descriptions.Item>
          <Descriptions.Item label={t("queue.requester")}>{nameOf(request.requester)}</Descriptions.Item>
          <Descriptions.Item label={t("piece.tokenId")}>
            <Link to={`/pieces/${piece.token_id}`}>#{piece.token_id}</Link> <StateTag state={piece.state} />
          </Descriptions.Item>
          <Descriptions.Item label={t("piece.value")}>
            <Money value={piece.value} currency={piece.receivable.currency} />
          </Descriptions.Item>
          <Descriptions.Item label={t("piece.debtor")}>{nameOf(piece.receivable.debtor)}</Descriptions.Item>
          <Descriptions.Item label={t("piece.dueDate")}>
            {formatDate(piece.receivable.due_date, lang, timeZone)}
          </Descriptions.Item>
          <Descriptions.Item label={t("queue.mode")}>
            {t(`mode.${request.mode}` as MessageKey)}
            {request.recourse ? ` · ${t("queue.recourse")}` : ""}
          </Descriptions.Item>
          <Descriptions.Item label={t("queue.asked")}>
            <Money value={request.asked.advance} currency={request.currency} />
          </Descriptions.Item>
          <Descriptions.Item label={t("queue.ownOffer")}>
            {own?.terms ? <Money value={own.terms.advance} currency={request.currency} /> : "—"}{" "}
            {own !== undefined && <Tag>{t(`offer.${own.status}` as MessageKey)}</Tag>}
          </Descriptions.Item>
        </Descriptions>
      </Card>
      <RiskCard requestId={request.id} />
      {!maker && <Alert className="block" type="info" showIcon message={t("review.makerOnly")} />}
      {maker && request.status === "requested" && own !== undefined && own.status !== "declined" && (
        <OfferCard request={request} onDone={reload} />
      )}
      {maker && request.status === "accepted" && mine && <FundCard request={request} onDone={reload} />}
    </>
  );
}

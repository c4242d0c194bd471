// 融资: ask one to five financiers to finance a piece the institution holds, at terms it
// names (advance, fees, repayment, funding deadline), factoring or pledge. The piece is
// locked while the request is open; the request's page then follows its offers.
import { Alert, App, Button, Card, Checkbox, DatePicker, Descriptions, Empty, Form, Input, Radio, Skeleton, Switch, Typography } from "antd";
import dayjs, { type Dayjs } from "dayjs";
import timezone from "dayjs/plugin/timezone";
import utc from "dayjs/plugin/utc";
import { useState } from "react";
import { useNavigate, useParams } from "react-router";
import { api } from "../../api/client";
import { asProblem, must, problemSentence } from "../../api/problems";
import { askFinancing, requestIdOf } from "../../api/smeWrites";
import { ProblemAlert } from "../../components/ProblemAlert";
import { fromMinor, toMinor } from "../../decimal";
import { usePreferences } from "../../i18n/I18n";
import { currencyExponent, formatMoney } from "../../money";
import { useSignedIn } from "../../session/Session";
import { formatDate } from "../../time";
import { useLoaded } from "./useLoaded";
import { PieceSummary } from "./PieceSummary";

dayjs.extend(utc);
dayjs.extend(timezone);

interface Fields {
  financiers: string[];
  advance: string;
  fees: string;
  repayment: string;
  fundBy: Dayjs;
  mode: "factoring" | "pledge";
  recourse: boolean;
}

/** The last second of `day` in `zone`: the funding deadline the user means by a date. */
export function endOfDay(day: Dayjs, zone: string): number {
  return dayjs.tz(`${day.format("YYYY-MM-DD")} 23:59:59`, zone).unix();
}

export function AskForMoney() {
  const { tokenId } = useParams();
  const id = Number(tokenId);
  const { t } = usePreferences();
  if (!Number.isSafeInteger(id) || id < 1) return <Empty description={t("notFound.title")} />;
  return <AskForm tokenId={id} />;
}

function AskForm({ tokenId }: { tokenId: number }) {
  const { t, lang, timeZone } = usePreferences();
  const who = useSignedIn();
  const navigate = useNavigate();
  const { message } = App.useApp();
  const [form] = Form.useForm<Fields>();
  const [busy, setBusy] = useState(false);
  const piece = useLoaded(
    async () => must(await api.GET("/v1/pieces/{token_id}", { params: { path: { token_id: tokenId } } })),
    `piece:${tokenId}`,
  );
  const advance = (Form.useWatch("advance", form) as string | undefined) ?? "";
  const fees = (Form.useWatch("fees", form) as string | undefined) ?? "";

  if (piece.problem !== null) return <ProblemAlert problem={piece.problem} onRetry={piece.reload} />;
  if (piece.data === null) return <Skeleton active aria-busy="true" aria-label={t("common.loading")} />;
  const p = piece.data;
  const currency = p.receivable.currency;
  const exponent = currencyExponent(currency);
  const me = who.participant?.address.toLowerCase() ?? "";
  const value = toMinor(p.value, exponent) ?? 0n;
  const mine = p.holder.toLowerCase() === me && p.state === "active";
  const maker = who.person.roles.includes("maker");
  const financiers = who.members.filter(
    (m) => m.status === "active" && m.roles.includes("financier") && m.address.toLowerCase() !== me,
  );
  const money = (text: string) => formatMoney(text, currency, lang);
  const advanceMinor = toMinor(advance, exponent);
  const feesMinor = toMinor(fees === "" ? "0" : fees, exponent);
  const received =
    advanceMinor !== null && feesMinor !== null && feesMinor <= advanceMinor
      ? fromMinor(advanceMinor - feesMinor, exponent)
      : null;
  const due = dayjs.unix(p.receivable.due_date);

  const amountRule = (allowZero: boolean, max: bigint | null) => ({
    validator: (_: unknown, text: string | undefined) => {
      const minor = toMinor(text ?? "", exponent);
      if (minor === null || (!allowZero && minor === 0n)) {
        return Promise.reject(new Error(t("pay.amountInvalid", { digits: exponent })));
      }
      if (max !== null && minor > max) {
        return Promise.reject(new Error(t("pay.amountTooBig", { amount: money(fromMinor(max, exponent)) })));
      }
      return Promise.resolve();
    },
  });

  const submit = async (fields: Fields) => {
    setBusy(true);
    try {
      const result = await askFinancing({
        token_id: tokenId,
        financiers: fields.financiers,
        terms: {
          advance: fields.advance.trim(),
          fees: fields.fees.trim(),
          repayment: fields.repayment.trim(),
          fund_by: endOfDay(fields.fundBy, timeZone),
        },
        mode: fields.mode,
        recourse: fields.recourse,
      });
      if (result.kind === "drafted") {
        void message.info(t("inbox.drafted", { id: result.draft.id }), 6);
        void navigate("/financing");
        return;
      }
      const requestId = requestIdOf(result);
      void message.success(t("ask.done", { id: requestId ?? "" }));
      void navigate(requestId === null ? "/financing" : `/financing/${requestId}`);
    } catch (error) {
      void message.error(problemSentence(asProblem(error), lang), 8);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Typography.Title level={2}>{t("ask.title", { id: tokenId })}</Typography.Title>
      <Typography.Paragraph type="secondary">{t("ask.intro")}</Typography.Paragraph>
      <PieceSummary piece={p}>
        <Descriptions.Item label={t("piece.dueDate")}>
          {formatDate(p.receivable.due_date, lang, timeZone)}
        </Descriptions.Item>
      </PieceSummary>
      {!mine ? (
        <Alert className="block" type="info" showIcon message={t("ask.notHeld")} />
      ) : financiers.length === 0 ? (
        <Alert className="block" type="warning" showIcon message={t("ask.noFinanciers")} />
      ) : (
        <Card className="block">
          <Form<Fields>
            form={form}
            layout="vertical"
            style={{ maxWidth: 560 }}
            initialValues={{ fees: "0", repayment: "0", mode: "factoring", recourse: false }}
            onFinish={(fields) => void submit(fields)}
          >
            <Form.Item
              name="financiers"
              label={t("ask.financiers")}
              extra={t("ask.financiersHint")}
              // A validator, not `required`: Ant Design would put aria-required on the
              // group's wrapper, where ARIA does not allow it (axe-core).
              rules={[
                {
                  validator: (_, chosen?: string[]) =>
                    !chosen || chosen.length === 0
                      ? Promise.reject(new Error(t("ask.financiersRequired")))
                      : chosen.length > 5
                        ? Promise.reject(new Error(t("ask.financiersMax")))
                        : Promise.resolve(),
                },
              ]}
            >
              <Checkbox.Group options={financiers.map((m) => ({ value: m.address, label: m.name }))} />
            </Form.Item>
            <Form.Item name="advance" label={t("ask.advance")} extra={t("ask.advanceHint")} rules={[amountRule(false, value)]}>
              <Input inputMode="decimal" suffix={currency} autoComplete="off" />
            </Form.Item>
            <Form.Item name="fees" label={t("ask.fees")} extra={t("ask.feesHint")} rules={[amountRule(true, advanceMinor)]}>
              <Input inputMode="decimal" suffix={currency} autoComplete="off" />
            </Form.Item>
            <Form.Item name="mode" label={t("ask.mode")}>
              <Radio.Group
                options={[
                  { value: "factoring", label: t("mode.factoring") },
                  { value: "pledge", label: t("mode.pledge") },
                ]}
              />
            </Form.Item>
            <Form.Item name="repayment" label={t("ask.repayment")} extra={t("ask.repaymentHint")} rules={[amountRule(true, null)]}>
              <Input inputMode="decimal" suffix={currency} autoComplete="off" />
            </Form.Item>
            <Form.Item name="recourse" label={t("ask.recourse")} valuePropName="checked">
              <Switch />
            </Form.Item>
            <Form.Item
              name="fundBy"
              label={t("ask.fundBy")}
              extra={t("ask.fundByHint", { zone: timeZone })}
              rules={[{ required: true, message: t("ask.fundByRequired") }]}
            >
              <DatePicker
                disabledDate={(d) => d.isBefore(dayjs(), "day") || !d.isBefore(due, "day")}
                format="YYYY-MM-DD"
              />
            </Form.Item>
            <Typography.Paragraph data-testid="ask-summary" aria-live="polite">
              {received === null ? "" : t("ask.summary", { amount: money(received) })}
            </Typography.Paragraph>
            <Button type="primary" htmlType="submit" loading={busy} disabled={!maker}>
              {t("ask.submit")}
            </Button>
            {!maker && <Typography.Paragraph type="secondary">{t("pay.makerOnly")}</Typography.Paragraph>}
          </Form>
        </Card>
      )}
    </>
  );
}

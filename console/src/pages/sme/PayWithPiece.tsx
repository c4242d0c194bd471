// 拆分/流转: pay one's own supplier with part (or all) of a piece. The user picks an active
// member and an amount (a decimal string, checked exactly against the piece's value), sees
// what goes and what stays, confirms; the sent piece waits for the receiver's signature
// and can be recalled until then.
import { Alert, App, Button, Card, Empty, Form, Input, Select, Skeleton, Space, Typography } from "antd";
import { useState } from "react";
import { useParams } from "react-router";
import { api } from "../../api/client";
import { asProblem, must, problemSentence } from "../../api/problems";
import { pay, sentPiece } from "../../api/smeWrites";
import { ProblemAlert } from "../../components/ProblemAlert";
import { fromMinor, toMinor } from "../../decimal";
import { usePreferences } from "../../i18n/I18n";
import { currencyExponent, formatMoney } from "../../money";
import { useSession, useSignedIn } from "../../session/Session";
import { PieceSummary } from "./PieceSummary";
import { SentPieces } from "./SentPieces";
import { useLoaded } from "./useLoaded";

interface Fields {
  to: string;
  value: string;
}

export function PayWithPiece() {
  const { tokenId } = useParams();
  const id = Number(tokenId);
  const { t } = usePreferences();
  if (!Number.isSafeInteger(id) || id < 1) return <Empty description={t("notFound.title")} />;
  return <PayForm tokenId={id} />;
}

function PayForm({ tokenId }: { tokenId: number }) {
  const { t, lang } = usePreferences();
  const { nameOf } = useSession();
  const who = useSignedIn();
  const { message, modal } = App.useApp();
  const [form] = Form.useForm<Fields>();
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState<{ id: number | null; to: string; value: string } | null>(null);
  const [tick, setTick] = useState(0);
  const piece = useLoaded(
    async () => must(await api.GET("/v1/pieces/{token_id}", { params: { path: { token_id: tokenId } } })),
    `piece:${tokenId}:${tick}`,
  );
  const typed = (Form.useWatch("value", form) as string | undefined) ?? "";

  if (piece.problem !== null) return <ProblemAlert problem={piece.problem} onRetry={piece.reload} />;
  if (piece.data === null) return <Skeleton active aria-busy="true" aria-label={t("common.loading")} />;
  const p = piece.data;
  const currency = p.receivable.currency;
  const exponent = currencyExponent(currency);
  const me = who.participant?.address.toLowerCase() ?? "";
  const total = toMinor(p.value, exponent) ?? 0n;
  const mine = p.holder.toLowerCase() === me && p.state === "active";
  const maker = who.person.roles.includes("maker");
  const receivers = who.members.filter((m) => m.status === "active" && m.address.toLowerCase() !== me);
  const amount = toMinor(typed, exponent);
  const kept = amount !== null && amount <= total ? fromMinor(total - amount, exponent) : null;
  const money = (value: string) => formatMoney(value, currency, lang);

  const send = async ({ to, value }: Fields) => {
    setBusy(true);
    try {
      const result = await pay(tokenId, to, value.trim());
      if (result.kind === "drafted") {
        void message.info(t("inbox.drafted", { id: result.draft.id }), 6);
      } else {
        void message.success(t("pay.done", { name: nameOf(to) }));
      }
      setSent({ id: sentPiece(result, tokenId), to, value: value.trim() });
      form.resetFields();
      setTick((n) => n + 1);
    } catch (error) {
      void message.error(problemSentence(asProblem(error), lang), 8);
    } finally {
      setBusy(false);
    }
  };

  const confirm = (fields: Fields) => {
    const value = fields.value.trim();
    const stays = fromMinor(total - (toMinor(value, exponent) ?? 0n), exponent);
    modal.confirm({
      title: t("pay.confirmTitle"),
      content: (
        <div data-testid="pay-confirmation">
          <p>{t("pay.confirmGoes", { amount: money(value), name: nameOf(fields.to), id: tokenId })}</p>
          <p>{stays === fromMinor(0n, exponent) ? t("pay.confirmAll") : t("pay.confirmStays", { amount: money(stays) })}</p>
          <p>{t("pay.confirmPending", { name: nameOf(fields.to) })}</p>
        </div>
      ),
      okText: t("pay.confirm"),
      cancelText: t("common.cancel"),
      onOk: () => send(fields),
    });
  };

  return (
    <>
      <Typography.Title level={2}>{t("pay.title", { id: tokenId })}</Typography.Title>
      <Typography.Paragraph type="secondary">{t("pay.intro")}</Typography.Paragraph>
      <PieceSummary piece={p} />
      {sent !== null && (
        <Alert
          className="block"
          type="success"
          showIcon
          role="status"
          message={
            sent.id === null
              ? t("pay.sentDraft", { amount: money(sent.value), name: nameOf(sent.to) })
              : t("pay.sentPending", { amount: money(sent.value), name: nameOf(sent.to), id: sent.id })
          }
        />
      )}
      {mine ? (
        <Card className="block">
          <Form<Fields> form={form} layout="vertical" requiredMark onFinish={confirm} style={{ maxWidth: 520 }}>
            <Form.Item
              name="to"
              label={t("pay.receiver")}
              // A validator, not `required`: Ant Design would put aria-required on the
              // Select's wrapper, where ARIA does not allow it (axe-core).
              rules={[{ validator: (_, v?: string) => (v ? Promise.resolve() : Promise.reject(new Error(t("pay.receiverRequired")))) }]}
            >
              <Select
                showSearch
                optionFilterProp="label"
                placeholder={t("pay.receiverHint")}
                options={receivers.map((m) => ({ value: m.address, label: m.name }))}
              />
            </Form.Item>
            <Form.Item label={t("pay.amount")} required>
              <Space.Compact style={{ width: "100%" }}>
                <Form.Item
                  name="value"
                  noStyle
                  rules={[
                    {
                      validator: (_, value: string | undefined) => {
                        const minor = toMinor(value ?? "", exponent);
                        if (minor === null || minor === 0n) return Promise.reject(new Error(t("pay.amountInvalid", { digits: exponent })));
                        if (minor > total) return Promise.reject(new Error(t("pay.amountTooBig", { amount: money(p.value) })));
                        return Promise.resolve();
                      },
                    },
                  ]}
                >
                  <Input inputMode="decimal" aria-label={t("pay.amount")} suffix={currency} autoComplete="off" />
                </Form.Item>
                <Button
                  onClick={() => {
                    form.setFieldValue("value", p.value);
                    void form.validateFields(["value"]);
                  }}
                >
                  {t("pay.all")}
                </Button>
              </Space.Compact>
            </Form.Item>
            <Typography.Paragraph data-testid="pay-summary" aria-live="polite">
              {kept === null ? t("pay.summaryEmpty", { amount: money(p.value) }) : t("pay.summary", { goes: money(fromMinor(amount ?? 0n, exponent)), stays: money(kept) })}
            </Typography.Paragraph>
            <Button type="primary" htmlType="submit" loading={busy} disabled={!maker}>
              {t("pay.submit")}
            </Button>
            {!maker && <Typography.Paragraph type="secondary">{t("pay.makerOnly")}</Typography.Paragraph>}
          </Form>
        </Card>
      ) : (
        <Alert className="block" type="info" showIcon message={t("pay.notHeld")} />
      )}
      <SentPieces tokenId={tokenId} tick={tick} onChange={() => { setTick((n) => n + 1); }} />
    </>
  );
}

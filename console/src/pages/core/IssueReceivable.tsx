// 开立: the core enterprise issues a receivable to its supplier against an invoice. The
// browser computes the invoice's SHA-256, uploads it and checks the gateway stored the same
// bytes; the due date shows the business day the pricing calendar moves it to. The
// currencies are the consortium's that this ledger can issue in (GET /v1/currencies).
import { UploadOutlined } from "@ant-design/icons";
import {
  Alert,
  Button,
  Card,
  DatePicker,
  Form,
  Input,
  Select,
  Skeleton,
  Typography,
  Upload,
  type UploadFile,
} from "antd";
import type { Dayjs } from "dayjs";
import { useEffect, useState } from "react";
import { api, type Schemas } from "../../api/client";
import { issueReceivable, uploadInvoice } from "../../api/financeWrites";
import { asProblem, must, problemSentence } from "../../api/problems";
import { ProblemAlert } from "../../components/ProblemAlert";
import { useWrite } from "../../components/useWrite";
import { usePreferences } from "../../i18n/I18n";
import { useSession, useSignedIn } from "../../session/Session";
import { useLoaded } from "../sme/useLoaded";

type Currency = Schemas["AcceptedCurrencyOut"];

interface Fields {
  creditor: string;
  amount: string;
  currency: string;
  due: Dayjs;
  invoice: UploadFile[];
}

/** The calendar a currency's dates are priced on (the API's default: china for CNY). */
export function calendarOf(currency: string): string {
  return currency === "CNY" ? "china" : "weekends";
}

/** Unix seconds of a date's 00:00 UTC: a receivable's date is its UTC date (docs/money.md). */
export function utcSeconds(date: Dayjs): number {
  return Date.UTC(date.year(), date.month(), date.date()) / 1000;
}

/** The business day the due date moves to, as the pricing calendar says. */
function AdjustedDue({ due, currency }: { due: Dayjs | undefined; currency: string }) {
  const { t, lang } = usePreferences();
  const [said, setSaid] = useState<string | null>(null);
  const day = due?.format("YYYY-MM-DD");
  useEffect(() => {
    setSaid(null);
    if (day === undefined) return;
    const ended = new AbortController();
    const calendar = calendarOf(currency);
    void (async () => {
      try {
        const adjusted = must(
          await api.GET("/v1/calendars/{name}/adjust", {
            params: { path: { name: calendar }, query: { date: day } },
          }),
        );
        const text = adjusted.moved
          ? t("issue.dueMoved", { date: adjusted.adjusted, reason: adjusted.reason ?? "", calendar })
          : t("issue.dueBusiness", { calendar });
        if (!ended.signal.aborted) setSaid(text);
      } catch (error) {
        if (!ended.signal.aborted) setSaid(problemSentence(asProblem(error), lang));
      }
    })();
    return () => {
      ended.abort();
    };
  }, [day, currency, t, lang]);
  if (said === null) return null;
  return (
    <Typography.Text data-testid="due-adjusted">
      {said}
    </Typography.Text>
  );
}

export function IssueReceivable() {
  const { t } = usePreferences();
  const found = useLoaded(async () => must(await api.GET("/v1/currencies")).currencies, "currencies");
  if (found.problem !== null) return <ProblemAlert problem={found.problem} onRetry={found.reload} />;
  if (found.data === null) return <Skeleton active aria-busy="true" aria-label={t("common.loading")} />;
  const issuable = found.data.filter((c) => c.issuable);
  if (issuable.length === 0) return <Alert type="warning" showIcon message={t("issue.noCurrency")} />;
  return <IssueForm currencies={issuable} />;
}

function IssueForm({ currencies }: { currencies: Currency[] }) {
  const { t } = usePreferences();
  const who = useSignedIn();
  const { nameOf } = useSession();
  const [form] = Form.useForm<Fields>();
  const { busy, run } = useWrite();
  const [done, setDone] = useState<string | null>(null);
  const first = currencies[0]?.code ?? "CNY";
  const currency = (Form.useWatch("currency", form) as string | undefined) ?? first;
  const due = Form.useWatch("due", form) as Dayjs | undefined;
  const own = who.participant?.address.toLowerCase();
  const payees = who.members.filter(
    (m) => m.status === "active" && m.roles.includes("supplier") && m.address.toLowerCase() !== own,
  );

  const submit = async (fields: Fields) => {
    setDone(null);
    const file = fields.invoice[0]?.originFileObj;
    if (file === undefined) return;
    const result = await run(
      "issue",
      async () => {
        const documentHash = await uploadInvoice(file);
        return issueReceivable({
          creditor: fields.creditor,
          face_amount: fields.amount.trim(),
          currency: fields.currency,
          due_date: utcSeconds(fields.due),
          document_hash: documentHash,
        });
      },
      t("issue.done", { name: nameOf(fields.creditor) }),
    );
    if (result === null) return;
    setDone(
      result.kind === "drafted"
        ? t("inbox.drafted", { id: result.draft.id })
        : t("issue.done", { name: nameOf(fields.creditor) }),
    );
    form.resetFields();
  };

  const amountRule = {
    validator: (_: unknown, value: string | undefined) => {
      const text = (value ?? "").trim();
      const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
      const digits = currencies.find((c) => c.code === currency)?.minor_digits ?? 2;
      if (match === null || /^0+(\.0*)?$/.test(text)) {
        return Promise.reject(new Error(t("issue.amountInvalid")));
      }
      if ((match[2] ?? "").length > digits) {
        return Promise.reject(new Error(t("issue.amountPrecision", { digits })));
      }
      return Promise.resolve();
    },
  };

  return (
    <>
      <Typography.Title level={2}>{t("issue.title")}</Typography.Title>
      <Typography.Paragraph>{t("issue.intro")}</Typography.Paragraph>
      {done !== null && (
        <Alert className="block" type="success" showIcon role="status" message={done} />
      )}
      <Card>
        <Form<Fields>
          form={form}
          layout="vertical"
          style={{ maxWidth: 560 }}
          initialValues={{ currency: first, invoice: [] }}
          onFinish={(fields) => void submit(fields)}
        >
          {/* A validator, not `required`: Ant Design puts aria-required on the Select's
              wrapper, which axe-core refuses (aria-allowed-attr). */}
          <Form.Item
            name="creditor"
            label={t("issue.payee")}
            rules={[
              {
                validator: (_, value: string | undefined) =>
                  value ? Promise.resolve() : Promise.reject(new Error(t("signIn.required"))),
              },
            ]}
          >
            <Select
              showSearch
              optionFilterProp="label"
              options={payees.map((m) => ({ value: m.address, label: m.name }))}
            />
          </Form.Item>
          <Form.Item name="currency" label={t("issue.currency")}>
            <Select options={currencies.map((c) => ({ value: c.code, label: c.code }))} />
          </Form.Item>
          <Form.Item
            name="amount"
            label={t("issue.amount")}
            extra={t("issue.amountHint")}
            rules={[{ required: true, message: t("signIn.required") }, amountRule]}
          >
            <Input inputMode="decimal" autoComplete="off" />
          </Form.Item>
          <Form.Item
            name="due"
            label={t("issue.due")}
            extra={<AdjustedDue due={due} currency={currency} />}
            rules={[{ required: true, message: t("signIn.required") }]}
          >
            <DatePicker format="YYYY-MM-DD" style={{ width: "100%" }} />
          </Form.Item>
          <Form.Item
            name="invoice"
            label={t("issue.invoice")}
            extra={t("issue.invoiceHint")}
            valuePropName="fileList"
            getValueFromEvent={(e: { fileList: UploadFile[] }) => e.fileList.slice(-1)}
            rules={[{ required: true, type: "array", min: 1, message: t("issue.invoiceRequired") }]}
          >
            <Upload beforeUpload={() => false} maxCount={1}>
              <Button icon={<UploadOutlined />}>{t("issue.pickInvoice")}</Button>
            </Upload>
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={busy === "issue"}>
            {t("issue.submit")}
          </Button>
        </Form>
      </Card>
    </>
  );
}

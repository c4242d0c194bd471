// The auditor's search: by piece (its facts, lineage and timeline), by receivable (slot), by
// member (as holder or debtor) or by the invoice's document hash (GET /v1/pieces filters).
// Auditors see every piece; anyone else what it may see.
import { Button, Form, Input, InputNumber, Radio, Select, Space, Typography } from "antd";
import { Link, useSearchParams } from "react-router";
import { api } from "../../api/client";
import { must } from "../../api/problems";
import { usePages } from "../../api/usePages";
import { PagedTable } from "../../components/PagedTable";
import { pieceColumns } from "../../components/pieceColumns";
import { usePreferences } from "../../i18n/I18n";
import type { MessageKey } from "../../i18n/messages";
import { useSession, useSignedIn } from "../../session/Session";
import { PAGE_SIZE } from "../Holdings";
import { PieceView } from "../PieceDetail";
import { PieceTimeline } from "./PieceTimeline";

type By = "piece" | "slot" | "holder" | "debtor" | "document";
const BY: By[] = ["piece", "slot", "holder", "debtor", "document"];
const HASH = /^0x[0-9a-fA-F]{64}$/;

function wellFormed(by: By, value: string): boolean {
  if (by === "piece" || by === "slot") return /^\d+$/.test(value) && Number(value) <= Number.MAX_SAFE_INTEGER && (by === "slot" || Number(value) > 0);
  if (by === "document") return HASH.test(value);
  return /^0x[0-9a-fA-F]{40}$/.test(value);
}

function Results({ by, value }: { by: Exclude<By, "piece">; value: string }) {
  const { t, lang, timeZone } = usePreferences();
  const { nameOf } = useSession();
  const filter =
    by === "slot"
      ? { slot: Number(value) }
      : by === "document"
        ? { document_hash: value }
        : by === "holder"
          ? { holder: value }
          : { debtor: value };
  const pages = usePages(
    async (cursor) =>
      must(await api.GET("/v1/pieces", { params: { query: { limit: PAGE_SIZE, cursor, ...filter } } })),
    `search:${by}:${value}`,
  );
  return (
    <PagedTable label={t("search.results")} pages={pages} rowKey="token_id" columns={pieceColumns(t, lang, timeZone, nameOf)} />
  );
}

export function Search() {
  const { t } = usePreferences();
  const { members } = useSignedIn();
  const [params, setParams] = useSearchParams();
  const [form] = Form.useForm<{ by: By; value: string }>();
  const by = (BY as string[]).includes(params.get("by") ?? "") ? (params.get("by") as By) : "piece";
  const value = (params.get("q") ?? "").trim();
  const chosen = value !== "" && wellFormed(by, value) ? value : null;
  const picking = (Form.useWatch("by", form) as By | undefined) ?? by;
  const byMember = picking === "holder" || picking === "debtor";

  return (
    <>
      <Typography.Title level={2}>{t("search.title")}</Typography.Title>
      <Typography.Paragraph type="secondary">{t("search.intro")}</Typography.Paragraph>
      <Form
        form={form}
        layout="inline"
        className="block"
        initialValues={{ by, value: chosen ?? undefined }}
        onFinish={(found) => {
          setParams({ by: found.by, q: found.value.trim() });
        }}
      >
        <Form.Item name="by" label={t("search.by")}>
          <Radio.Group
            optionType="button"
            onChange={() => { form.setFieldValue("value", undefined); }}
            options={BY.map((b) => ({ value: b, label: t(`search.by.${b}` as MessageKey) }))}
          />
        </Form.Item>
        <Space wrap>
          <Form.Item
            name="value"
            label={t("search.value")}
            rules={[
              { required: true, message: t("signIn.required") },
              {
                validator: (_, v: unknown) =>
                  v === undefined || v === null || v === "" || wellFormed(picking, typeof v === "string" || typeof v === "number" ? String(v).trim() : "")
                    ? Promise.resolve()
                    : Promise.reject(new Error(t(`search.invalid.${picking}` as MessageKey))),
              },
            ]}
            normalize={(v: unknown) => (typeof v === "number" ? String(v) : v)}
          >
            {byMember ? (
              <Select
                style={{ minWidth: 220 }}
                showSearch
                optionFilterProp="label"
                options={members.map((m) => ({ value: m.address, label: m.name }))}
              />
            ) : picking === "document" ? (
              <Input style={{ width: 420 }} placeholder="0x…" spellCheck={false} />
            ) : (
              <InputNumber min={picking === "slot" ? 0 : 1} precision={0} style={{ width: 160 }} />
            )}
          </Form.Item>
          <Button type="primary" htmlType="submit">
            {t("search.go")}
          </Button>
        </Space>
      </Form>
      {chosen !== null && by === "piece" && (
        <>
          <Typography.Paragraph>
            <Link to={`/pieces/${chosen}`}>{t("search.openLineage")}</Link>
          </Typography.Paragraph>
          <PieceView tokenId={Number(chosen)} />
          <div className="block" />
          <PieceTimeline tokenId={Number(chosen)} />
        </>
      )}
      {chosen !== null && by !== "piece" && <Results by={by} value={chosen} />}
    </>
  );
}

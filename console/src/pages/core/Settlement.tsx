// 清分结算: the core enterprise pays the pieces of a receivable it owes (one receivable per
// batch, from the due date) with the reference of its off-chain payment; each payee then
// confirms. Below, the settlements made and whether their payees confirmed.
import { Button, Card, ConfigProvider, Form, Input, Select, Space, Tag, Typography } from "antd";
import { useState } from "react";
import { Link } from "react-router";
import { api, type Piece, type Schemas } from "../../api/client";
import { settle } from "../../api/financeWrites";
import { must } from "../../api/problems";
import { usePages } from "../../api/usePages";
import { Money } from "../../components/Money";
import { PagedTable } from "../../components/PagedTable";
import { pieceColumns } from "../../components/pieceColumns";
import { useWrite } from "../../components/useWrite";
import { usePreferences } from "../../i18n/I18n";
import type { MessageKey } from "../../i18n/messages";
import { useSession, useSignedIn } from "../../session/Session";
import { formatDate } from "../../time";
import { PAGE_SIZE } from "../Holdings";
// erp screens
import { useFinalizeColumn } from "../erp/Finalize";

type Settlement = Schemas["SettlementOut"];
type State = NonNullable<Piece["state"]>;
/** The states the contract lets a debtor pay. */
export const PAYABLE: State[] = ["active", "financed", "overdue", "defaulted"];

const SELECTED_ROWS = { rowSelectedBg: "#e6f0fa", rowSelectedHoverBg: "#dbe9f7" };

const SETTLEMENT_COLOURS: Record<Settlement["status"], string> = {
  awaiting_confirmation: "cyan",
  disputed: "red",
  settled: "default",
};

/** The settlements the caller paid or was paid, paged on the server. */
export function useSettlements(key: string) {
  return usePages(
    async (cursor) =>
      must(await api.GET("/v1/settlements", { params: { query: { limit: PAGE_SIZE, cursor } } })),
    key,
  );
}

export function settlementColumns(
  t: ReturnType<typeof usePreferences>["t"],
  lang: ReturnType<typeof usePreferences>["lang"],
  timeZone: string,
  nameOf: (address: string | null) => string,
) {
  return [
    {
      title: t("piece.tokenId"),
      dataIndex: "token_id",
      render: (id: number) => <Link to={`/pieces/${id}`}>#{id}</Link>,
    },
    { title: t("piece.slot"), dataIndex: "slot", render: (slot: number) => `#${slot}` },
    {
      title: t("settle.paid"),
      key: "amount",
      align: "right" as const,
      render: (_: unknown, s: Settlement) => <Money value={s.submitted_amount} currency={s.currency} />,
    },
    { title: t("piece.holder"), key: "holder", render: (_: unknown, s: Settlement) => nameOf(s.holder) },
    {
      title: t("settle.payee"),
      key: "payee",
      render: (_: unknown, s: Settlement) => (s.payee === null ? "—" : nameOf(s.payee)),
    },
    { title: t("settle.reference"), dataIndex: "payment_ref", render: (r: string) => <code>{r}</code> },
    {
      title: t("settle.confirmBy"),
      key: "confirmBy",
      render: (_: unknown, s: Settlement) =>
        s.confirm_by === null ? "—" : formatDate(s.confirm_by, lang, timeZone, true),
    },
    {
      title: t("piece.state"),
      dataIndex: "status",
      render: (status: Settlement["status"]) => (
        <Tag color={SETTLEMENT_COLOURS[status]}>{t(`settlement.${status}` as MessageKey)}</Tag>
      ),
    },
  ];
}

export function SettlementPage() {
  const { t, lang, timeZone } = usePreferences();
  const { nameOf } = useSession();
  const who = useSignedIn();
  const { busy, run } = useWrite();
  const [state, setState] = useState<State | "">("");
  const [chosen, setChosen] = useState<Piece[]>([]);
  const [form] = Form.useForm<{ reference: string }>();
  const address = who.participant?.address ?? "";
  const maker = who.person.roles.includes("maker");
  const owed = usePages(
    async (cursor) =>
      must(
        await api.GET("/v1/pieces", {
          params: {
            query: { limit: PAGE_SIZE, cursor, debtor: address, ...(state ? { state } : {}) },
          },
        }),
      ),
    `owed:${address}:${state}`,
  );
  const made = useSettlements(`settlements:${address}`);
  const finalizeColumn = useFinalizeColumn(address, nameOf, () => {
    owed.reload();
    made.reload();
  });
  const slot = chosen[0]?.slot;

  const submit = async ({ reference }: { reference: string }) => {
    if (slot === undefined) return;
    const ids = chosen.map((p) => p.token_id);
    const result = await run(
      "settle",
      () => settle(slot, ids, reference.trim()),
      t("settle.done", { ids: ids.map((id) => `#${id}`).join(", ") }),
    );
    if (result !== null) {
      setChosen([]);
      form.resetFields();
      owed.reload();
      made.reload();
    }
  };

  return (
    <>
      <Typography.Title level={2}>{t("settle.title")}</Typography.Title>
      <Typography.Paragraph>{t("settle.intro")}</Typography.Paragraph>
      <Card title={t("settle.owed")} className="block">
        <Space className="block">
          <Select<State | "">
            aria-label={t("holdings.filterState")}
            value={state}
            onChange={(next) => {
              setState(next);
              setChosen([]);
            }}
            style={{ minWidth: 160 }}
            options={[
              { value: "", label: t("holdings.all") },
              ...PAYABLE.map((s) => ({ value: s, label: t(`state.${s}` as MessageKey) })),
            ]}
          />
        </Space>
        {/* Selected rows paler than Ant Design's: links on them keep WCAG AA contrast. */}
        <ConfigProvider theme={{ components: { Table: SELECTED_ROWS } }}>
        <PagedTable<Piece>
          label={t("settle.owed")}
          pages={owed}
          rowKey="token_id"
          columns={pieceColumns(t, lang, timeZone, nameOf).filter((c) => c.key !== "debtor")}
          rowSelection={{
            selectedRowKeys: chosen.map((p) => p.token_id),
            onChange: (_, rows) => {
              setChosen(rows);
            },
            // No "select all": one receivable per batch (and Ant Design's hidden measure
            // row would hold a second, focusable copy of it: axe-core aria-hidden-focus).
            hideSelectAll: true,
            getCheckboxProps: (p) => ({
              disabled: !PAYABLE.includes(p.state) || (slot !== undefined && p.slot !== slot),
              "aria-label": t("settle.choose", { id: p.token_id }),
            }),
          }}
        />
        </ConfigProvider>
        <Form form={form} layout="inline" onFinish={(fields) => void submit(fields)} style={{ marginTop: 16 }}>
          <Form.Item
            name="reference"
            label={t("settle.reference")}
            rules={[{ required: true, whitespace: true, max: 200, message: t("settle.referenceRequired") }]}
          >
            <Input style={{ minWidth: 280 }} autoComplete="off" />
          </Form.Item>
          <Button
            type="primary"
            htmlType="submit"
            disabled={!maker || chosen.length === 0}
            loading={busy === "settle"}
          >
            {t("settle.submit", { count: chosen.length })}
          </Button>
        </Form>
      </Card>
      <Card title={t("settle.made")}>
        <PagedTable<Settlement>
          label={t("settle.made")}
          pages={made}
          rowKey="token_id"
          columns={[...settlementColumns(t, lang, timeZone, nameOf), finalizeColumn]}
        />
      </Card>
    </>
  );
}

// Holdings: the pieces the institution holds or held, owes or finances (GET /v1/pieces,
// paged on the server), filtered by state.
import { Select, Space, Typography } from "antd";
import { useState } from "react";
import { api, type Piece } from "../api/client";
import { must } from "../api/problems";
import { usePages } from "../api/usePages";
import { PagedTable } from "../components/PagedTable";
import { pieceColumns } from "../components/pieceColumns";
import { usePreferences } from "../i18n/I18n";
import type { MessageKey } from "../i18n/messages";
import { useSession, useSignedIn } from "../session/Session";
import { holdingActions } from "./sme/holdingActions";

type State = NonNullable<Piece["state"]>;
const STATES: State[] = [
  "pending",
  "active",
  "financing",
  "financed",
  "awaiting_confirmation",
  "settled",
  "overdue",
  "defaulted",
  "rejected",
  "cancelled",
  "expired",
];
export const PAGE_SIZE = 20;

export function Holdings() {
  const { t, lang, timeZone } = usePreferences();
  const { nameOf } = useSession();
  const me = useSignedIn().participant?.address ?? "";
  const [state, setState] = useState<State | "">("");
  const pages = usePages(
    async (cursor) =>
      must(
        await api.GET("/v1/pieces", {
          params: { query: { limit: PAGE_SIZE, cursor, ...(state ? { state } : {}) } },
        }),
      ),
    `holdings:${state}`,
  );
  return (
    <>
      <Typography.Title level={2}>{t("holdings.title")}</Typography.Title>
      <Space className="block">
        <Select<State | "">
          aria-label={t("holdings.filterState")}
          value={state}
          onChange={setState}
          style={{ minWidth: 160 }}
          options={[
            { value: "", label: t("holdings.all") },
            ...STATES.map((s) => ({ value: s, label: t(`state.${s}` as MessageKey) })),
          ]}
        />
      </Space>
      <PagedTable
        label={t("holdings.title")}
        pages={pages}
        rowKey="token_id"
        columns={[...pieceColumns(t, lang, timeZone, nameOf), ...holdingActions(t, me)]}
      />
    </>
  );
}

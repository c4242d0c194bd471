// 确认结清 on the core's settlement screen: a payment whose payee neither confirmed nor
// disputed it by the end of its confirmation window is settled by its debtor
// (POST /v1/settlements/{id}/finalize: deemed confirmed). The row says when the window ends
// on the chain's clock; before then the contract refuses (409 confirmation-window-open), which
// is shown as its sentence.
import { App, Button, Space, Typography } from "antd";
import { api, type Schemas } from "../../api/client";
import { must } from "../../api/problems";
import { useWrite } from "../../components/useWrite";
import { usePreferences } from "../../i18n/I18n";
import { formatDate } from "../../time";
import { useLoaded } from "../sme/useLoaded";
import { finalizeSettlement } from "./erpApi";

type Settlement = Schemas["SettlementOut"];

/** The column "确认结清" of the settlements the institution paid (`me`: its address). */
export function useFinalizeColumn(me: string, nameOf: (address: string | null) => string, done: () => void) {
  const { t, lang, timeZone } = usePreferences();
  const { modal } = App.useApp();
  const { busy, run } = useWrite();
  const clock = useLoaded(async () => must(await api.GET("/v1/chain/time")).block_timestamp, "chain-time");
  const now = clock.data;

  const finalize = (s: Settlement, passed: boolean) => {
    const by = s.confirm_by === null ? "—" : formatDate(s.confirm_by, lang, timeZone, true);
    const payee = nameOf(s.payee);
    modal.confirm({
      title: t("finalize.confirmTitle", { id: s.token_id }),
      content: passed ? t("finalize.explain", { payee, by }) : t("finalize.early", { payee, by }),
      okText: t("finalize.button"),
      cancelText: t("common.cancel"),
      onOk: async () => {
        const result = await run(
          `finalize:${s.token_id}`,
          () => finalizeSettlement(s.token_id),
          t("finalize.done", { id: s.token_id }),
        );
        clock.reload();
        if (result !== null) done();
      },
    });
  };

  return {
    title: t("finalize.column"),
    key: "finalize",
    render: (_: unknown, s: Settlement) => {
      if (s.status !== "awaiting_confirmation" || s.payee === null || s.payee.toLowerCase() === me.toLowerCase()) {
        return s.deemed ? t("finalize.deemed") : "—";
      }
      const passed = now !== null && s.confirm_by !== null && now > s.confirm_by;
      return (
        <Space direction="vertical" size={0}>
          {/* Default text colours: AntD's warning and secondary ones fail WCAG AA contrast. */}
          <Typography.Text strong={passed}>{passed ? t("finalize.silent") : t("finalize.waiting")}</Typography.Text>
          <Button
            size="small"
            loading={busy === `finalize:${s.token_id}`}
            onClick={() => { finalize(s, passed); }}
            aria-label={t("finalize.buttonOf", { id: s.token_id })}
          >
            {t("finalize.button")}
          </Button>
        </Space>
      );
    },
  };
}

// The holdings list's actions on a piece the institution holds and may use: pay with it
// (拆分/流转) or ask for money on it (融资).
import { Space } from "antd";
import type { TableColumnsType } from "antd";
import { Link } from "react-router";
import type { Piece } from "../../api/client";
import type { Translate } from "../../i18n/I18n";

export function holdingActions(t: Translate, me: string): TableColumnsType<Piece> {
  return [
    {
      title: "",
      key: "sme-actions",
      render: (_, p) =>
        p.holder.toLowerCase() === me.toLowerCase() && p.state === "active" ? (
          <Space size="small">
            <Link to={`/pieces/${p.token_id}/pay`} aria-label={t("pay.openPiece", { id: p.token_id })}>
              {t("pay.short")}
            </Link>
            <Link to={`/pieces/${p.token_id}/finance`} aria-label={t("ask.openPiece", { id: p.token_id })}>
              {t("ask.short")}
            </Link>
          </Space>
        ) : null,
    },
  ];
}

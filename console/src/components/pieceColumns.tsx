// The columns every list of pieces shows.
import type { TableColumnsType } from "antd";
import { Link } from "react-router";
import type { Piece } from "../api/client";
import type { Translate } from "../i18n/I18n";
import type { Lang } from "../i18n/messages";
import { formatDate } from "../time";
import { Money } from "./Money";
import { StateTag } from "./StateTag";

export function pieceColumns(
  t: Translate,
  lang: Lang,
  timeZone: string,
  nameOf: (address: string | null) => string,
): TableColumnsType<Piece> {
  return [
    {
      title: t("piece.tokenId"),
      dataIndex: "token_id",
      render: (id: number) => <Link to={`/pieces/${id}`}>#{id}</Link>,
    },
    { title: t("piece.slot"), dataIndex: "slot", render: (slot: number) => `#${slot}` },
    {
      title: t("piece.value"),
      key: "value",
      align: "right",
      render: (_, p) => <Money value={p.value} currency={p.receivable.currency} />,
    },
    { title: t("piece.holder"), key: "holder", render: (_, p) => nameOf(p.holder) },
    { title: t("piece.sender"), key: "sender", render: (_, p) => (p.sender ? nameOf(p.sender) : "—") },
    { title: t("piece.debtor"), key: "debtor", render: (_, p) => nameOf(p.receivable.debtor) },
    {
      title: t("piece.dueDate"),
      key: "due",
      render: (_, p) => formatDate(p.receivable.due_date, lang, timeZone),
    },
    { title: t("piece.state"), dataIndex: "state", render: (s: string) => <StateTag state={s} /> },
  ];
}

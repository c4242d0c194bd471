// The piece a supplier's form acts on: its number, value, state and debtor (and, from the
// caller, more items such as its due date).
import { Card, Descriptions } from "antd";
import type { ReactNode } from "react";
import { Link } from "react-router";
import type { Piece } from "../../api/client";
import { Money } from "../../components/Money";
import { StateTag } from "../../components/StateTag";
import { usePreferences } from "../../i18n/I18n";
import { useSession } from "../../session/Session";

export function PieceSummary({ piece, children }: { piece: Piece; children?: ReactNode }) {
  const { t } = usePreferences();
  const { nameOf } = useSession();
  return (
    <Card className="block">
      <Descriptions size="small" column={{ xs: 1, md: 3 }}>
        <Descriptions.Item label={t("piece.tokenId")}>
          <Link to={`/pieces/${piece.token_id}`}>#{piece.token_id}</Link>
        </Descriptions.Item>
        <Descriptions.Item label={t("piece.value")}>
          <Money value={piece.value} currency={piece.receivable.currency} />
        </Descriptions.Item>
        <Descriptions.Item label={t("piece.state")}>
          <StateTag state={piece.state} />
        </Descriptions.Item>
        <Descriptions.Item label={t("piece.debtor")}>{nameOf(piece.receivable.debtor)}</Descriptions.Item>
        {children}
      </Descriptions>
    </Card>
  );
}

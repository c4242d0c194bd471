// What the institution can do with a piece from its detail: pay with it, ask for money on
// it, recall it while its receiver has not signed; and its evidence.
import { App, Button, Card, Space } from "antd";
import { useState } from "react";
import { useNavigate } from "react-router";
import type { Piece } from "../../api/client";
import { asProblem, problemSentence } from "../../api/problems";
import { recall } from "../../api/smeWrites";
import { usePreferences } from "../../i18n/I18n";
import { useSignedIn } from "../../session/Session";
import { Evidence } from "./Evidence";

export function PieceActions({ piece, onChange }: { piece: Piece; onChange: () => void }) {
  const { t, lang } = usePreferences();
  const who = useSignedIn();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);
  const me = who.participant?.address.toLowerCase() ?? "";
  const held = piece.holder.toLowerCase() === me && piece.state === "active";
  const recallable = piece.state === "pending" && piece.sender?.toLowerCase() === me;
  const maker = who.person.roles.includes("maker");

  const takeBack = async () => {
    setBusy(true);
    try {
      const result = await recall(piece.token_id);
      if (result.kind === "drafted") {
        void message.info(t("inbox.drafted", { id: result.draft.id }), 6);
      } else {
        void message.success(t("pay.recalled", { id: piece.token_id }));
      }
      onChange();
    } catch (error) {
      void message.error(problemSentence(asProblem(error), lang), 8);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      {(held || recallable) && (
        <Card className="block">
          <Space wrap>
            {held && (
              <>
                <Button type="primary" onClick={() => void navigate(`/pieces/${piece.token_id}/pay`)}>
                  {t("pay.open")}
                </Button>
                <Button onClick={() => void navigate(`/pieces/${piece.token_id}/finance`)}>
                  {t("ask.open")}
                </Button>
              </>
            )}
            {recallable && (
              <Button disabled={!maker} loading={busy} onClick={() => void takeBack()}>
                {t("pay.recall")}
              </Button>
            )}
          </Space>
        </Card>
      )}
      <Evidence piece={piece} />
    </>
  );
}

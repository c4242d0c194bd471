// Evidence on a piece (delivery notes, photos): the hashes anchored on it, each a link to
// the document; its holder uploads a file, which the gateway stores and anchors by SHA-256.
import { UploadOutlined } from "@ant-design/icons";
import { App, Button, Card, Empty, Table, Typography, Upload } from "antd";
import { useState } from "react";
import { api, type Piece, type Schemas } from "../../api/client";
import { asProblem, must, problemSentence } from "../../api/problems";
import { attachEvidence } from "../../api/smeWrites";
import { ProblemAlert } from "../../components/ProblemAlert";
import { usePreferences } from "../../i18n/I18n";
import { useSession, useSignedIn } from "../../session/Session";
import { useLoaded } from "./useLoaded";

type Anchored = Schemas["EvidenceOut"];
// What the gateway stores (services/documents.py ALLOWED_TYPES).
const ACCEPT = ".pdf,.png,.jpg,.jpeg,.xml,.json,.txt";

export function Evidence({ piece }: { piece: Piece }) {
  const { t, lang } = usePreferences();
  const { nameOf } = useSession();
  const who = useSignedIn();
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  const tokenId = piece.token_id;
  const found = useLoaded(
    async () => must(await api.GET("/v1/pieces/{token_id}/evidence", { params: { path: { token_id: tokenId } } })),
    `evidence:${tokenId}`,
  );
  const holder = piece.holder.toLowerCase() === (who.participant?.address.toLowerCase() ?? "");
  const maker = who.person.roles.includes("maker");

  const upload = async (file: File) => {
    setBusy(true);
    try {
      const result = await attachEvidence(tokenId, file);
      if (result.kind === "drafted") {
        void message.info(t("inbox.drafted", { id: result.draft.id }), 6);
      } else {
        void message.success(t("evidence.done", { name: file.name }));
      }
      found.reload();
    } catch (error) {
      void message.error(problemSentence(asProblem(error), lang), 8);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card className="block" title={t("evidence.title")} data-testid="evidence">
      {found.problem !== null ? (
        <ProblemAlert problem={found.problem} onRetry={found.reload} />
      ) : (
        <Table<Anchored>
          aria-label={t("evidence.title")}
          size="small"
          rowKey="evidence_hash"
          loading={found.data === null}
          dataSource={found.data ?? []}
          pagination={false}
          scroll={{ x: "max-content" }}
          locale={{ emptyText: <Empty description={t("evidence.none")} /> }}
          columns={[
            {
              title: t("evidence.hash"),
              key: "hash",
              render: (_, e) => (
                <Typography.Link
                  code
                  href={`/v1/documents/${e.evidence_hash.replace(/^0x/, "")}`}
                  target="_blank"
                  rel="noreferrer"
                >
                  {e.evidence_hash}
                </Typography.Link>
              ),
            },
            { title: t("evidence.by"), key: "by", render: (_, e) => nameOf(e.attached_by) },
            { title: t("evidence.block"), dataIndex: "block_number", align: "right" },
          ]}
        />
      )}
      {holder && (
        <Upload
          accept={ACCEPT}
          showUploadList={false}
          disabled={!maker || busy}
          customRequest={({ file }) => {
            if (file instanceof File) void upload(file);
          }}
        >
          <Button className="evidence-upload" icon={<UploadOutlined />} loading={busy} disabled={!maker}>
            {t("evidence.upload")}
          </Button>
        </Upload>
      )}
      <Typography.Paragraph type="secondary">{t("evidence.hint")}</Typography.Paragraph>
    </Card>
  );
}

// 批量导入 (core enterprise): an ERP's CSV or JSON batch of receivable issues or settlements
// (POST /v1/batches), read in the browser for a preview, sent under a batch key (the
// idempotency key: the same file with the same key answers the same batch), then followed
// on its batch page. A template CSV of each kind is generated here.
import { Alert, Button, Card, Form, Input, Select, Space, Table, Typography } from "antd";
import { useState } from "react";
import { useNavigate } from "react-router";
import { asProblem, type Problem } from "../../api/problems";
import { sha256Hex } from "../../api/sha256";
import { ProblemAlert } from "../../components/ProblemAlert";
import { usePreferences } from "../../i18n/I18n";
import type { MessageKey } from "../../i18n/messages";
import { useSignedIn } from "../../session/Session";
import { COLUMNS, readBatch, templateCsv, type BatchKind, type ReadBatch } from "./batchFile";
import { postBatch, saveBlob } from "./erpApi";

const KINDS: BatchKind[] = ["receivable.issue", "settlement"];

interface Picked {
  file: File;
  read: ReadBatch;
}

function saveText(text: string, name: string): void {
  saveBlob(new Blob([text], { type: "text/csv;charset=utf-8" }), name);
}

export function BatchImport() {
  const { t } = usePreferences();
  const who = useSignedIn();
  const navigate = useNavigate();
  const [kind, setKind] = useState<BatchKind>("receivable.issue");
  const [picked, setPicked] = useState<Picked | null>(null);
  const [unreadable, setUnreadable] = useState(false);
  const [key, setKey] = useState("");
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const maker = who.person.roles.includes("maker");

  const pick = async (file: File | undefined) => {
    setPicked(null);
    setProblem(null);
    setUnreadable(false);
    if (file === undefined) return;
    const text = await file.text();
    try {
      const read = readBatch(file.name, text);
      setPicked({ file, read });
      if (read.kind !== null) setKind(read.kind);
    } catch {
      setUnreadable(true);
      return;
    }
    // As `scf import` does: the file's SHA-256 is its key unless the user writes another.
    const hash = await sha256Hex(file);
    setKey(hash === null ? "" : `erp-${hash.slice(0, 32)}`);
  };

  const submit = async () => {
    if (picked === null) return;
    setBusy(true);
    setProblem(null);
    try {
      const batch = await postBatch(picked.file, picked.read.format, kind, key.trim());
      void navigate(`/core/batches/${batch.id}`);
    } catch (error) {
      setProblem(asProblem(error));
    } finally {
      setBusy(false);
    }
  };

  const columns = picked === null ? [] : picked.read.columns;
  const rows = (picked?.read.lines ?? []).map((line, i) => ({ ...line, "#": String(i + 1) }));
  const wrongKind = picked !== null && picked.read.format === "csv" && picked.read.kind !== kind;

  return (
    <>
      <Typography.Title level={2}>{t("batch.title")}</Typography.Title>
      <Typography.Paragraph>{t("batch.intro")}</Typography.Paragraph>
      {!maker && <Alert className="block" type="info" showIcon message={t("batch.makersOnly")} />}
      <Card title={t("batch.file")} className="block">
        <Form layout="vertical" onFinish={() => void submit()}>
          <Form.Item label={t("batch.kind")} htmlFor="batch-kind" extra={COLUMNS[kind].join(", ")}>
            <Space wrap>
              <Select<BatchKind>
                id="batch-kind"
                value={kind}
                onChange={setKind}
                style={{ minWidth: 200 }}
                options={KINDS.map((k) => ({ value: k, label: t(`batch.kind.${k}` as MessageKey) }))}
              />
              <Button onClick={() => { saveText(templateCsv(kind), `template-${kind}.csv`); }}>
                {t("batch.template")}
              </Button>
            </Space>
          </Form.Item>
          <Form.Item label={t("batch.pick")} htmlFor="batch-file" extra={t("batch.pickHint")}>
            <input
              id="batch-file"
              type="file"
              accept=".csv,.json,text/csv,application/json"
              onChange={(e) => void pick(e.target.files?.[0])}
            />
          </Form.Item>
          {unreadable && <Alert className="block" type="error" showIcon role="alert" message={t("batch.unreadable")} />}
          {wrongKind && <Alert className="block" type="warning" showIcon message={t("batch.columnsNotKind")} />}
          <Form.Item label={t("batch.key")} htmlFor="batch-key" extra={t("batch.keyHint")}>
            <Input
              id="batch-key"
              value={key}
              onChange={(e) => { setKey(e.target.value); }}
              maxLength={120}
              autoComplete="off"
              style={{ maxWidth: 480 }}
            />
          </Form.Item>
          {problem !== null && (
            <div className="block">
              <ProblemAlert problem={problem} />
            </div>
          )}
          <Button
            type="primary"
            htmlType="submit"
            loading={busy}
            disabled={!maker || picked === null || picked.read.lines.length === 0 || key.trim() === ""}
          >
            {t("batch.submit", { count: picked?.read.lines.length ?? 0 })}
          </Button>
        </Form>
      </Card>
      {picked !== null && (
        <Card title={t("batch.preview", { name: picked.file.name, count: rows.length })}>
          <Table<Record<string, string>>
            aria-label={t("batch.previewLabel")}
            size="small"
            rowKey="#"
            dataSource={rows}
            pagination={{ pageSize: 10, showSizeChanger: false, hideOnSinglePage: true }}
            scroll={{ x: "max-content" }}
            columns={["#", ...columns].map((c) => ({
              title: c === "#" ? t("batch.line") : c,
              dataIndex: c,
              render: (v: string | undefined) => <code>{v ?? ""}</code>,
            }))}
          />
        </Card>
      )}
    </>
  );
}

// A batch's page (/core/batches/:batchId): its progress (GET /v1/batches/{id}, read again
// every 2 s until every line is finished) and its lines, a page at a time: each
// line's status, its draft for a checker (maker-checker), its transaction, or its problem as
// a sentence (a refused line never stops the others).
import { Button, Card, Descriptions, Progress, Skeleton, Space, Table, Tag, Typography } from "antd";
import { useEffect, useState } from "react";
import { Link, useParams } from "react-router";
import { asProblem, problemSentence, type Problem } from "../../api/problems";
import { ProblemAlert } from "../../components/ProblemAlert";
import { usePreferences } from "../../i18n/I18n";
import type { MessageKey } from "../../i18n/messages";
import { formatDate } from "../../time";
import { getBatch, type Batch, type BatchLine } from "./erpApi";

const PAGE = 50;
const POLL_MS = 2000;
const UNFINISHED = new Set(["draft", "queued", "submitted"]);
const COLOURS: Record<BatchLine["status"], string> = {
  rejected: "red",
  failed: "red",
  withdrawn: "default",
  draft: "gold",
  queued: "blue",
  submitted: "blue",
  mined: "cyan",
  indexed: "green",
};

export function BatchResult() {
  const { t, lang, timeZone } = usePreferences();
  const id = Number(useParams().batchId);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [batch, setBatch] = useState<Batch | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [tick, setTick] = useState(0);
  const cursor = cursors[cursors.length - 1];

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    getBatch(id, cursor, PAGE).then(
      (found) => {
        if (!live) return;
        setBatch(found);
        setProblem(null);
        if (!found.done) {
          timer = setTimeout(() => {
            setTick((n) => n + 1);
          }, POLL_MS);
        }
      },
      (error: unknown) => {
        if (live) setProblem(asProblem(error));
      },
    );
    return () => {
      live = false;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [id, cursor, tick]);

  if (problem !== null && batch === null) {
    return <ProblemAlert problem={problem} onRetry={() => { setTick((n) => n + 1); }} />;
  }
  if (batch === null) {
    return <Skeleton active aria-busy="true" aria-label={t("common.loading")} />;
  }
  const unfinished = Object.entries(batch.counts)
    .filter(([status]) => UNFINISHED.has(status))
    .reduce((sum, [, n]) => sum + n, 0);
  const finished = batch.lines - unfinished;
  const drafts = batch.counts.draft ?? 0;

  return (
    <>
      <Typography.Title level={2}>{t("batch.resultTitle", { id: batch.id })}</Typography.Title>
      <Card className="block">
        <Descriptions
          size="small"
          column={{ xs: 1, md: 3 }}
          items={[
            { key: "kind", label: t("batch.kind"), children: t(`batch.kind.${batch.kind}` as MessageKey) },
            { key: "lines", label: t("batch.lines"), children: batch.lines },
            { key: "at", label: t("batch.createdAt"), children: formatDate(batch.created_at, lang, timeZone, true) },
          ]}
        />
        <Progress
          percent={Math.floor((finished * 100) / Math.max(batch.lines, 1))}
          status={batch.done ? "success" : "active"}
          aria-label={t("batch.progress")}
          // Dark text, not the bar's green or blue: WCAG AA contrast (axe-core).
          format={() => <span className="batch-progress">{`${finished} / ${batch.lines}`}</span>}
        />
        <Space wrap data-testid="batch-counts" aria-live="polite">
          {Object.entries(batch.counts).map(([status, n]) => (
            <Tag key={status} color={COLOURS[status as BatchLine["status"]]}>
              {t(`batch.status.${status}` as MessageKey)}: {n}
            </Tag>
          ))}
          <Typography.Text strong>{batch.done ? t("batch.done") : t("batch.running")}</Typography.Text>
        </Space>
        {drafts > 0 && (
          <Typography.Paragraph className="block" style={{ marginTop: 12 }}>
            {t("batch.draftsWait", { count: drafts })} <Link to="/drafts?status=pending">{t("menu.drafts")}</Link>
          </Typography.Paragraph>
        )}
      </Card>
      <Card title={t("batch.results")}>
        {problem !== null && <ProblemAlert problem={problem} />}
        <Table<BatchLine>
          aria-label={t("batch.results")}
          size="middle"
          rowKey="line"
          dataSource={batch.items}
          pagination={false}
          scroll={{ x: "max-content" }}
          columns={[
            { title: t("batch.line"), dataIndex: "line" },
            {
              title: t("batch.status"),
              dataIndex: "status",
              render: (s: BatchLine["status"]) => <Tag color={COLOURS[s]}>{t(`batch.status.${s}` as MessageKey)}</Tag>,
            },
            {
              title: t("batch.outcome"),
              key: "outcome",
              render: (_: unknown, line: BatchLine) => {
                if (line.problem) {
                  const found = line.problem as unknown as Problem;
                  return (
                    <Space direction="vertical" size={0}>
                      <Typography.Text type="danger">{problemSentence(found, lang)}</Typography.Text>
                      {found.detail && <Typography.Text type="secondary">{found.detail}</Typography.Text>}
                    </Space>
                  );
                }
                if (line.draft_id !== null && line.operation_id === null) {
                  return t("batch.draft", { id: line.draft_id });
                }
                return line.tx_hash ? <code>{line.tx_hash.slice(0, 18)}…</code> : "—";
              },
            },
          ]}
        />
        <Space className="pager">
          <Button disabled={cursors.length <= 1} onClick={() => { setCursors((seen) => seen.slice(0, -1)); }}>
            {t("common.previous")}
          </Button>
          <span aria-live="polite">{cursors.length}</span>
          <Button
            disabled={!batch.next_cursor}
            onClick={() => {
              const next = batch.next_cursor;
              if (next) setCursors((seen) => [...seen, next]);
            }}
          >
            {t("common.next")}
          </Button>
        </Space>
      </Card>
    </>
  );
}

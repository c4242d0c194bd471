// The live status of the network as this gateway sees it, read every few seconds: the
// chain's head and time, what the indexer has read and its lag, the database (GET /readyz,
// GET /v1/chain/time), and the node's network: its consensus engine, its peers and, on
// Clique, the sealers (GET /v1/chain/network; anvil says neither).
import { Badge, Card, Col, Descriptions, Row, Statistic, Tag, Typography } from "antd";
import { useEffect, useState } from "react";
import { api, type Schemas } from "../../api/client";
import { asProblem, must, ProblemError, type Problem } from "../../api/problems";
import { ProblemAlert } from "../../components/ProblemAlert";
import { usePreferences } from "../../i18n/I18n";
import { useSession } from "../../session/Session";
import { formatDate } from "../../time";

const EVERY_MS = 5000;

interface Check {
  ok?: boolean;
  head?: number;
  lag?: number;
  faults?: number;
  error?: string;
}
interface Ready {
  status: "ready" | "degraded" | "not-ready";
  checks: Record<string, Check | undefined>;
}
interface Seen {
  ready: Ready;
  time: Schemas["ChainTimeOut"];
  network: Schemas["ChainNetworkOut"];
  at: Date;
}

export function Status() {
  const { t, lang, timeZone } = usePreferences();
  const { nameOf } = useSession();
  const [seen, setSeen] = useState<Seen | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);

  useEffect(() => {
    let live = true;
    const read = async () => {
      try {
        // /readyz answers 503 with the same body when not ready: both are a reading.
        const ready = await api.GET("/readyz");
        const body = (ready.data ?? (ready.error as unknown)) as Ready | undefined;
        if (body?.checks === undefined) throw new ProblemError(asProblem(ready.error, ready.response.status));
        const [time, network] = await Promise.all([
          api.GET("/v1/chain/time").then(must),
          api.GET("/v1/chain/network").then(must),
        ]);
        if (live) {
          setSeen({ ready: body, time, network, at: new Date() });
          setProblem(null);
        }
      } catch (error) {
        if (live) setProblem(asProblem(error));
      }
    };
    void read();
    const timer = window.setInterval(() => void read(), EVERY_MS);
    return () => {
      live = false;
      window.clearInterval(timer);
    };
  }, []);

  const ok = (check: Check | undefined) => (
    <Badge
      status={check?.ok ? "success" : "error"}
      text={check?.ok ? t("status.ok") : `${t("status.down")}${check?.error ? ` (${check.error})` : ""}`}
    />
  );
  const indexer = seen?.ready.checks.indexer;
  return (
    <>
      <Typography.Title level={2}>{t("status.title")}</Typography.Title>
      <Typography.Paragraph type="secondary">{t("status.intro")}</Typography.Paragraph>
      {problem !== null && <ProblemAlert problem={problem} />}
      {seen !== null && (
        <>
          <Row gutter={[16, 16]} className="block">
            <Col xs={24} md={8}>
              <Card>
                <div data-testid="chain-head">
                  <Statistic title={t("status.head")} value={seen.time.block_number} groupSeparator="" />
                </div>
              </Card>
            </Col>
            <Col xs={24} md={8}>
              <Card>
                <Statistic title={t("status.indexed")} value={seen.time.indexed_block ?? "—"} groupSeparator="" />
              </Card>
            </Col>
            <Col xs={24} md={8}>
              <Card>
                <div data-testid="indexer-lag">
                  <Statistic title={t("status.lag")} value={indexer?.lag ?? "—"} suffix={t("status.blocks")} />
                </div>
              </Card>
            </Col>
          </Row>
          <Card className="block">
            <Descriptions column={{ xs: 1, md: 2 }} size="small">
              <Descriptions.Item label={t("status.overall")}>
                <span data-testid="ready-status">{t(`status.${seen.ready.status}`)}</span>
              </Descriptions.Item>
              <Descriptions.Item label={t("status.readAt")}>{formatDate(seen.at.toISOString(), lang, timeZone, true)}</Descriptions.Item>
              <Descriptions.Item label={t("status.chain")}>{ok(seen.ready.checks.chain)}</Descriptions.Item>
              <Descriptions.Item label={t("status.database")}>{ok(seen.ready.checks.database)}</Descriptions.Item>
              <Descriptions.Item label={t("status.indexer")}>{ok(indexer)}</Descriptions.Item>
              <Descriptions.Item label={t("status.faults")}>{indexer?.faults ?? 0}</Descriptions.Item>
              <Descriptions.Item label={t("status.blockTime")}>
                {formatDate(seen.time.block_timestamp, lang, timeZone, true)}
              </Descriptions.Item>
              <Descriptions.Item label={t("status.ahead")}>
                {t("status.seconds", { n: seen.time.chain_ahead_seconds })}
              </Descriptions.Item>
            </Descriptions>
          </Card>
          <Card className="block" title={t("status.network")}>
            <Descriptions column={{ xs: 1, md: 2 }} size="small">
              <Descriptions.Item label={t("status.engine")}>
                <span data-testid="engine">{t(`status.engine.${seen.network.engine}`)}</span>
              </Descriptions.Item>
              <Descriptions.Item label={t("status.peers")}>
                <span data-testid="peers">{seen.network.peer_count ?? t("status.notSaid")}</span>
              </Descriptions.Item>
              <Descriptions.Item label={t("status.sealers")} span={2}>
                <span data-testid="sealers">
                  {seen.network.sealers === null
                    ? seen.network.engine === "clique"
                      ? t("status.notSaid")
                      : t("status.notClique")
                    : seen.network.sealers.map((s) => (
                        <Tag key={s}>{nameOf(s)}</Tag>
                      ))}
                </span>
              </Descriptions.Item>
            </Descriptions>
          </Card>
        </>
      )}
    </>
  );
}

// A financier's portfolio: what it has advanced and not been paid back (requests `funded` or
// `recourse_claimed`, as docs/risk.md counts exposure) by debtor, and the financed pieces'
// value by days past due (aging at chain time). One chart per currency, amounts exact.
import { Alert, Card, Col, Empty, Row, Skeleton, Table, Typography } from "antd";
import { useEffect, useState } from "react";
import { api, type Piece, type Schemas } from "../../api/client";
import { asProblem, must, type Problem } from "../../api/problems";
import { Money } from "../../components/Money";
import { ProblemAlert } from "../../components/ProblemAlert";
import { usePreferences } from "../../i18n/I18n";
import type { MessageKey } from "../../i18n/messages";
import { useSession } from "../../session/Session";
import { AmountBars } from "./BarChart";
import { allPages, sumAmounts, toMinor } from "./sums";

type Request = Schemas["FinancingOut"];
const BUCKETS = ["not_due", "1-30", "31-60", "61-90", "over_90"] as const;
type Bucket = (typeof BUCKETS)[number];
const DAY = 86_400;

/** Days past due as docs/risk.md buckets them (one second late is one day late). */
export function bucketOf(due: number, now: number): Bucket {
  if (now <= due) return "not_due";
  const days = Math.ceil((now - due) / DAY);
  return days <= 30 ? "1-30" : days <= 60 ? "31-60" : days <= 90 ? "61-90" : "over_90";
}

interface Held {
  request: Request;
  piece: Piece;
}
interface Found {
  held: Held[];
  complete: boolean;
  now: number;
}

async function portfolio(): Promise<Found> {
  const requests = await Promise.all(
    (["funded", "recourse_claimed"] as const).map((status) =>
      allPages(async (cursor) =>
        must(await api.GET("/v1/financing-requests", { params: { query: { status, limit: 500, cursor } } })),
      ),
    ),
  );
  const pieces = new Map<number, Piece>();
  const held: Held[] = [];
  for (const request of requests.flatMap((r) => r.items)) {
    let piece = pieces.get(request.token_id);
    if (piece === undefined) {
      piece = must(await api.GET("/v1/pieces/{token_id}", { params: { path: { token_id: request.token_id } } }));
      pieces.set(request.token_id, piece);
    }
    held.push({ request, piece });
  }
  const time = must(await api.GET("/v1/chain/time"));
  return { held, complete: requests.every((r) => r.complete), now: time.block_timestamp };
}

export function Portfolio() {
  const { t } = usePreferences();
  const { nameOf } = useSession();
  const [found, setFound] = useState<Found | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let live = true;
    setFound(null);
    setProblem(null);
    portfolio().then(
      (f) => { if (live) setFound(f); },
      (error: unknown) => { if (live) setProblem(asProblem(error)); },
    );
    return () => {
      live = false;
    };
  }, [tick]);

  const title = (
    <>
      <Typography.Title level={2}>{t("portfolio.title")}</Typography.Title>
      <Typography.Paragraph type="secondary">{t("portfolio.intro")}</Typography.Paragraph>
    </>
  );
  if (problem !== null) return <>{title}<ProblemAlert problem={problem} onRetry={() => { setTick((n) => n + 1); }} /></>;
  if (found === null) return <>{title}<Skeleton active aria-busy="true" aria-label={t("common.loading")} /></>;
  if (found.held.length === 0) return <>{title}<Empty description={t("portfolio.empty")} /></>;

  const currencies = [...new Set(found.held.map((h) => h.request.currency))].sort();
  return (
    <>
      {title}
      {!found.complete && <Alert type="warning" showIcon className="block" message={t("portfolio.partial")} />}
      {currencies.map((currency) => {
        const mine = found.held.filter((h) => h.request.currency === currency);
        const debtors = [...new Set(mine.map((h) => h.piece.receivable.debtor))];
        const exposure = debtors
          .map((debtor) => {
            const of = mine.filter((h) => h.piece.receivable.debtor === debtor);
            return {
              debtor,
              label: nameOf(debtor),
              count: of.length,
              amount: sumAmounts(of.map((h) => h.request.agreed?.advance ?? "0"), currency),
            };
          })
          .sort((a, b) => {
            const d = toMinor(b.amount, currency) - toMinor(a.amount, currency);
            return d > 0n ? 1 : d < 0n ? -1 : 0;
          });
        const aging = BUCKETS.map((bucket) => ({
          label: t(`portfolio.bucket.${bucket}` as MessageKey),
          amount: sumAmounts(
            mine.filter((h) => bucketOf(h.piece.receivable.due_date, found.now) === bucket).map((h) => h.piece.value),
            currency,
          ),
        }));
        return (
          <Row gutter={[16, 16]} key={currency} className="block">
            <Col xs={24} lg={12}>
              <Card title={t("portfolio.exposure", { currency })}>
                <AmountBars bars={exposure} currency={currency} axis={t("portfolio.outstanding")} testId={`exposure-${currency}`} />
                <Table
                  aria-label={t("portfolio.exposure", { currency })}
                  size="small"
                  rowKey="debtor"
                  pagination={false}
                  dataSource={exposure}
                  columns={[
                    { title: t("piece.debtor"), dataIndex: "label" },
                    { title: t("portfolio.requests"), dataIndex: "count", align: "right" as const },
                    {
                      title: t("portfolio.outstanding"),
                      dataIndex: "amount",
                      align: "right" as const,
                      render: (a: string) => <Money value={a} currency={currency} />,
                    },
                  ]}
                />
              </Card>
            </Col>
            <Col xs={24} lg={12}>
              <Card title={t("portfolio.aging", { currency })}>
                <AmountBars bars={aging} currency={currency} axis={t("portfolio.value")} testId={`aging-${currency}`} />
              </Card>
            </Col>
          </Row>
        );
      })}
    </>
  );
}

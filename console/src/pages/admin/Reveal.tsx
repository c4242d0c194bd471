// The approved administration drafts this person made (new people, resets, keys): what each
// made is read once here (POST /v1/drafts/{id}/reveal).
import { Button, Card, List, Typography } from "antd";
import { useCallback, useEffect, useState } from "react";
import { api, type Draft } from "../../api/client";
import { asProblem, must, type Problem } from "../../api/problems";
import { ProblemAlert } from "../../components/ProblemAlert";
import { usePreferences } from "../../i18n/I18n";
import { useSignedIn } from "../../session/Session";
import { formatDate } from "../../time";
import { reveal, type Secrets } from "./admin";

export function Reveal({ kind, onSecrets, tick }: { kind: string; onSecrets: (s: Secrets) => void; tick: number }) {
  const { t, lang, timeZone } = usePreferences();
  const who = useSignedIn();
  const [drafts, setDrafts] = useState<Draft[] | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);

  const load = useCallback(async () => {
    try {
      const page = must(await api.GET("/v1/drafts", { params: { query: { status: "submitted", limit: 50 } } }));
      setDrafts(page.items.filter((d) => d.kind === kind && d.maker === who.person.username));
      setProblem(null);
    } catch (error) {
      setProblem(asProblem(error));
    }
  }, [kind, who.person.username]);
  useEffect(() => {
    void load();
  }, [load, tick]);

  if (problem !== null) return <ProblemAlert problem={problem} onRetry={() => void load()} />;
  if (drafts === null || drafts.length === 0) return null;
  return (
    <Card size="small" title={t("people.revealTitle")} className="block">
      <Typography.Paragraph type="secondary">{t("people.revealIntro")}</Typography.Paragraph>
      <List
        size="small"
        dataSource={drafts}
        renderItem={(d) => (
          <List.Item
            actions={[
              <Button
                key="reveal"
                size="small"
                onClick={() => {
                  void reveal(d.id).then(onSecrets, (error: unknown) => {
                    setProblem(asProblem(error));
                  });
                }}
              >
                {t("people.reveal")}
              </Button>,
            ]}
          >
            #{d.id} <code>{typeof d.arguments.action === "string" ? d.arguments.action : d.kind}</code> {formatDate(d.created_at, lang, timeZone, true)}
          </List.Item>
        )}
      />
    </Card>
  );
}

import { Alert, Button } from "antd";
import { problemSentence, type Problem } from "../api/problems";
import { usePreferences } from "../i18n/I18n";

/** A refused call as a sentence with what to do (and a retry, where it makes sense). */
export function ProblemAlert({ problem, onRetry }: { problem: Problem; onRetry?: () => void }) {
  const { lang, t } = usePreferences();
  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      data-problem={problem.type}
      message={problemSentence(problem, lang)}
      action={
        onRetry ? (
          <Button size="small" onClick={onRetry}>
            {t("common.retry")}
          </Button>
        ) : undefined
      }
    />
  );
}

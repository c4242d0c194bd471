// 使用单点登录 on the sign-in page: the institution typed above signs in at its own identity
// provider (GET /v1/auth/sso/{participant}/login, a top-level navigation; its callback sets
// the session and comes back to the console). The login is asked first without following
// its redirect, so an institution without single sign-on is a sentence here (404), not a
// JSON page.
import { Alert, Button, Divider } from "antd";
import { useState } from "react";
import { asProblem, problemSentence, slugOf, type Problem } from "../../api/problems";
import { usePreferences } from "../../i18n/I18n";
import { ssoAvailable } from "./erpApi";

// The API's participant names (api/fields.py PARTICIPANT_NAME).
const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function SsoButton({ participant }: { participant: () => string }) {
  const { t, lang } = usePreferences();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<{ text: string; type: string } | null>(null);

  const start = async () => {
    const name = participant().trim();
    setProblem(null);
    if (!NAME.test(name)) {
      setProblem({ text: t("sso.nameFirst"), type: "name" });
      return;
    }
    setBusy(true);
    try {
      await ssoAvailable(name);
      localStorage.setItem("scf.participant", name);
      window.location.assign(`/v1/auth/sso/${encodeURIComponent(name)}/login`);
    } catch (error) {
      const found: Problem = asProblem(error);
      const text = slugOf(found) === "not-found" ? t("sso.none", { participant: name }) : problemSentence(found, lang);
      setProblem({ text, type: found.type });
      setBusy(false);
    }
  };

  return (
    <>
      <Divider plain>{t("sso.or")}</Divider>
      {problem !== null && (
        <Alert className="block" type="error" showIcon role="alert" data-problem={problem.type} message={problem.text} />
      )}
      <Button block loading={busy} onClick={() => void start()}>
        {t("sso.button")}
      </Button>
    </>
  );
}

// Runs one write of the user: tells "submitted for approval: draft #n" (maker-checker) or
// the done message, or the problem as a sentence; says whether it went through.
import { App } from "antd";
import { useCallback, useState } from "react";
import { asProblem, problemSentence } from "../api/problems";
import type { Outcome } from "../api/writes";
import { usePreferences } from "../i18n/I18n";

export function useWrite(): {
  busy: string | null;
  run: (key: string, write: () => Promise<Outcome>, done: string) => Promise<Outcome | null>;
} {
  const { t, lang } = usePreferences();
  const { message } = App.useApp();
  const [busy, setBusy] = useState<string | null>(null);
  const run = useCallback(
    async (key: string, write: () => Promise<Outcome>, done: string) => {
      setBusy(key);
      try {
        const result = await write();
        if (result.kind === "drafted") {
          void message.info(t("inbox.drafted", { id: result.draft.id }), 8);
        } else {
          void message.success(done, 6);
        }
        return result;
      } catch (error) {
        void message.error(problemSentence(asProblem(error), lang), 10);
        return null;
      } finally {
        setBusy(null);
      }
    },
    [message, t, lang],
  );
  return { busy, run };
}

// How a governance or administration write ended, told to the user: done, or held as a draft
// for a checker; a refusal as its sentence.
import { App } from "antd";
import { useCallback } from "react";
import { asProblem, problemSentence } from "../../api/problems";
import type { Draft } from "../../api/client";
import { usePreferences } from "../../i18n/I18n";

/** Done, or held for a checker (a write's Outcome, or an administration act's Made). */
export type Ended = { kind: "drafted"; draft: Draft } | { kind: "done" } | { kind: "made" };

export function useOutcome(): (run: () => Promise<Ended>, done: string) => Promise<boolean> {
  const { message } = App.useApp();
  const { t, lang } = usePreferences();
  return useCallback(
    async (run, done) => {
      try {
        const ended = await run();
        if (ended.kind === "drafted") {
          void message.info(t("inbox.drafted", { id: ended.draft.id }), 8);
        } else {
          void message.success(done);
        }
        return true;
      } catch (error) {
        void message.error(problemSentence(asProblem(error), lang), 8);
        return false;
      }
    },
    [message, t, lang],
  );
}

// A set-off round's status and a party's answer in words.
import { Tag } from "antd";
import type { Schemas } from "../../api/client";
import { usePreferences } from "../../i18n/I18n";
import type { MessageKey } from "../../i18n/messages";

export type Round = Schemas["RoundOut"];
export type RoundStatus = Round["status"];
export type Answer = NonNullable<Round["my_answer"]>;

export const ROUND_STATUSES: RoundStatus[] = ["proposed", "refused", "executed", "lapsed"];

const STATUS_COLOURS: Record<RoundStatus, string> = {
  proposed: "gold",
  refused: "red",
  executed: "green",
  lapsed: "default",
};

const ANSWER_COLOURS: Record<Answer, string> = { awaiting: "gold", given: "green", refused: "red" };

export function RoundStatusTag({ status }: { status: RoundStatus }) {
  const { t } = usePreferences();
  return <Tag color={STATUS_COLOURS[status]}>{t(`setoff.status.${status}` as MessageKey)}</Tag>;
}

export function AnswerTag({ answer }: { answer: Answer | null }) {
  const { t } = usePreferences();
  if (answer === null) return <>{t("setoff.answer.none")}</>;
  return <Tag color={ANSWER_COLOURS[answer]}>{t(`setoff.answer.${answer}` as MessageKey)}</Tag>;
}

/** The currency of a round's amounts (a round with no item has none: XXX, ISO's "no currency"). */
export function currencyOf(round: Round): string {
  return round.currency ?? "XXX";
}

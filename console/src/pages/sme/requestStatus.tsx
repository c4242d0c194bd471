// A financing request's status in words, and where it stands on the way to funding.
import { Tag } from "antd";
import type { Schemas } from "../../api/client";
import { usePreferences } from "../../i18n/I18n";
import type { MessageKey } from "../../i18n/messages";

export type RequestStatus = Schemas["FinancingOut"]["status"];

const COLOURS: Partial<Record<RequestStatus, string>> = {
  requested: "gold",
  accepted: "blue",
  funded: "geekblue",
  repaid: "green",
  settled: "green",
  recourse_claimed: "orange",
  recourse_repaid: "green",
  rejected: "red",
  withdrawn: "default",
  expired: "default",
};

export function RequestStatusTag({ status }: { status: RequestStatus }) {
  const { t } = usePreferences();
  return <Tag color={COLOURS[status]}>{t(`requestStatus.${status}` as MessageKey)}</Tag>;
}

/** Closed without funding: the piece is unlocked and nothing more happens. */
export const ENDED: RequestStatus[] = ["rejected", "withdrawn", "expired"];

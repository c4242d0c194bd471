import { Tag } from "antd";
import { usePreferences } from "../i18n/I18n";
import type { MessageKey } from "../i18n/messages";

const COLOURS: Record<string, string> = {
  pending: "gold",
  active: "green",
  financing: "blue",
  financed: "geekblue",
  settled: "default",
  overdue: "orange",
  defaulted: "red",
  rejected: "red",
  cancelled: "default",
  awaiting_confirmation: "cyan",
  expired: "default",
  netted: "purple",
};

/** A piece's state in words. */
export function StateTag({ state }: { state: string | null }) {
  const { t } = usePreferences();
  const name = state ?? "none";
  const key = `state.${name}` as MessageKey;
  return <Tag color={COLOURS[name]}>{name in COLOURS || name === "none" ? t(key) : name}</Tag>;
}

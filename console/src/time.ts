// Dates in the user's time zone (Asia/Shanghai unless the user chose another).
import type { Lang } from "./i18n/messages";

const LOCALES: Record<Lang, string> = { zh: "zh-CN", en: "en-GB" };

/** A Unix-seconds date or an RFC 3339 time, as a date (`withTime`: and minutes). */
export function formatDate(
  when: number | string,
  lang: Lang,
  timeZone: string,
  withTime = false,
): string {
  const date = typeof when === "number" ? new Date(when * 1000) : new Date(when);
  return new Intl.DateTimeFormat(LOCALES[lang], {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    ...(withTime ? { hour: "2-digit", minute: "2-digit", hour12: false } : {}),
  }).format(date);
}

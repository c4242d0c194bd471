import { Button } from "antd";
import { usePreferences } from "../i18n/I18n";

/** Chinese <-> English, remembered by this browser. */
export function LanguageSwitch() {
  const { lang, setLang, t } = usePreferences();
  return (
    <Button
      type="link"
      lang={lang === "zh" ? "en" : "zh-CN"}
      aria-label={`${t("lang.label")}: ${t("lang.switch")}`}
      onClick={() => {
        setLang(lang === "zh" ? "en" : "zh");
      }}
    >
      {t("lang.switch")}
    </Button>
  );
}

// The console: Ant Design in the chosen language, the session, and the signed-in shell or
// the sign-in page.
import { App as AntApp, ConfigProvider, Spin } from "antd";
import enUS from "antd/locale/en_US";
import zhCN from "antd/locale/zh_CN";
import dayjs from "dayjs";
import "dayjs/locale/zh-cn";
import { useEffect } from "react";
import { BrowserRouter } from "react-router";
import { useReducedMotion } from "./components/useReducedMotion";
import { PreferencesProvider, usePreferences } from "./i18n/I18n";
import { ChangePassword } from "./pages/ChangePassword";
import { Shell } from "./pages/Shell";
import { SignIn } from "./pages/SignIn";
import { SessionProvider, useSession } from "./session/Session";

function Screens() {
  const { current } = useSession();
  const { t } = usePreferences();
  if (current === undefined) {
    return (
      <div className="loading-page">
        <Spin size="large" tip={t("common.loading")}>
          <div />
        </Spin>
      </div>
    );
  }
  if (current === null) return <SignIn />;
  if (current.person.must_change_password) return <ChangePassword />;
  return <Shell />;
}

function Localised() {
  const { lang, t } = usePreferences();
  const reducedMotion = useReducedMotion();
  useEffect(() => {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.title = `scfledger · ${t("app.title")}`;
    dayjs.locale(lang === "zh" ? "zh-cn" : "en");
  }, [lang, t]);
  return (
    <ConfigProvider
      locale={lang === "zh" ? zhCN : enUS}
      // Darker than Ant Design's blue: links and buttons meet WCAG AA contrast (axe-core).
      // Secondary and tertiary text (intros, field labels), descriptions (form hints) and
      // danger red darker too, for the same reason. No motion for who asked for less.
      theme={{
        token: {
          motion: !reducedMotion,
          colorPrimary: "#0b5cad",
          colorLink: "#0b5cad",
          colorInfo: "#0b5cad",
          colorTextSecondary: "#595959",
          colorTextTertiary: "#666666",
          colorTextDescription: "#666666",
          colorError: "#cf1322",
        },
      }}
      button={{ autoInsertSpace: false }}
    >
      <AntApp>
        <SessionProvider>
          <BrowserRouter>
            <Screens />
          </BrowserRouter>
        </SessionProvider>
      </AntApp>
    </ConfigProvider>
  );
}

export function App() {
  return (
    <PreferencesProvider>
      <Localised />
    </PreferencesProvider>
  );
}

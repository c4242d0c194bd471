// The language and time zone of this browser (stored in localStorage), and `t` to say things.
import { createContext, useContext, useMemo, useState, type ReactNode } from "react";
import { MESSAGES, type Lang, type MessageKey } from "./messages";

const LANG_KEY = "scf.lang";
const ZONE_KEY = "scf.timeZone";
export const DEFAULT_ZONE = "Asia/Shanghai";

export type Translate = (key: MessageKey, values?: Record<string, string | number>) => string;

interface Preferences {
  lang: Lang;
  setLang: (lang: Lang) => void;
  timeZone: string;
  setTimeZone: (zone: string) => void;
  t: Translate;
}

const Context = createContext<Preferences | null>(null);

function storedLang(): Lang {
  return localStorage.getItem(LANG_KEY) === "en" ? "en" : "zh";
}

export function PreferencesProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(storedLang);
  const [timeZone, setZoneState] = useState(() => localStorage.getItem(ZONE_KEY) ?? DEFAULT_ZONE);
  const value = useMemo<Preferences>(() => {
    const words = MESSAGES[lang];
    return {
      lang,
      setLang: (next) => {
        localStorage.setItem(LANG_KEY, next);
        document.documentElement.lang = next === "zh" ? "zh-CN" : "en";
        setLangState(next);
      },
      timeZone,
      setTimeZone: (zone) => {
        localStorage.setItem(ZONE_KEY, zone);
        setZoneState(zone);
      },
      t: (key, values) =>
        words[key].replace(/\{(\w+)\}/g, (_, name: string) => String(values?.[name] ?? "")),
    };
  }, [lang, timeZone]);
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function usePreferences(): Preferences {
  const value = useContext(Context);
  if (value === null) {
    throw new Error("usePreferences outside PreferencesProvider");
  }
  return value;
}

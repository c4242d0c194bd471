import { Typography } from "antd";
import { usePreferences } from "../i18n/I18n";
import { formatMoney } from "../money";

/** An amount of the API (a decimal string, or minor units) in its currency, exactly. */
export function Money({ value, currency }: { value: string | number; currency: string }) {
  const { lang } = usePreferences();
  return <Typography.Text className="money">{formatMoney(value, currency, lang)}</Typography.Text>;
}

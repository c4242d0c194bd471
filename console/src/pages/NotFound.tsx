import { Button, Result } from "antd";
import { useNavigate } from "react-router";
import { usePreferences } from "../i18n/I18n";

export function NotFound({ home }: { home: string }) {
  const { t } = usePreferences();
  const navigate = useNavigate();
  return (
    <Result
      status="404"
      title={t("notFound.title")}
      extra={
        <Button type="primary" onClick={() => void navigate(home)}>
          {t("notFound.back")}
        </Button>
      }
    />
  );
}

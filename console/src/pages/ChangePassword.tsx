// The first sign-in with a temporary password: the API allows nothing else until it changes.
import { Button, Card, Form, Input, Typography } from "antd";
import { useState } from "react";
import { asProblem, type Problem } from "../api/problems";
import { ProblemAlert } from "../components/ProblemAlert";
import { usePreferences } from "../i18n/I18n";
import { useSession } from "../session/Session";

interface Fields {
  current: string;
  next: string;
  confirm: string;
}

export function ChangePassword() {
  const { t } = usePreferences();
  const { changePassword, signOut } = useSession();
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (fields: Fields) => {
    setBusy(true);
    setProblem(null);
    try {
      await changePassword(fields.current, fields.next);
    } catch (error) {
      setProblem(asProblem(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <Card className="sign-in-card" title={t("password.title")}>
        <Typography.Paragraph>{t("password.intro")}</Typography.Paragraph>
        {problem !== null && (
          <div className="block">
            <ProblemAlert problem={problem} />
          </div>
        )}
        <Form<Fields> layout="vertical" requiredMark={false} onFinish={(f) => void submit(f)}>
          <Form.Item
            name="current"
            label={t("password.current")}
            rules={[{ required: true, message: t("signIn.required") }]}
          >
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          <Form.Item
            name="next"
            label={t("password.new")}
            rules={[{ required: true, min: 12, message: t("password.tooShort") }]}
          >
            <Input.Password autoComplete="new-password" />
          </Form.Item>
          <Form.Item
            name="confirm"
            label={t("password.confirm")}
            dependencies={["next"]}
            rules={[
              { required: true, message: t("signIn.required") },
              ({ getFieldValue }) => ({
                validator: (_, value) =>
                  value === getFieldValue("next")
                    ? Promise.resolve()
                    : Promise.reject(new Error(t("password.mismatch"))),
              }),
            ]}
          >
            <Input.Password autoComplete="new-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy}>
            {t("password.submit")}
          </Button>
          <Button type="link" block onClick={() => void signOut()}>
            {t("shell.signOut")}
          </Button>
        </Form>
      </Card>
    </main>
  );
}

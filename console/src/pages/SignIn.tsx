// Sign in: institution, username and password; then the one-time code when the gateway asks
// for it (401 second-factor-required).
import { Alert, Button, Card, Form, Input, Typography } from "antd";
import { useState } from "react";
import { asProblem, slugOf, type Problem } from "../api/problems";
import { ProblemAlert } from "../components/ProblemAlert";
import { LanguageSwitch } from "../components/LanguageSwitch";
import { usePreferences } from "../i18n/I18n";
import { useSession, type Credentials } from "../session/Session";
// erp screens
import { SsoButton } from "./erp/SsoButton";

const LAST_PARTICIPANT = "scf.participant";

interface Fields {
  participant: string;
  username: string;
  password: string;
  code?: string;
}

export function SignIn() {
  const { t } = usePreferences();
  const { signIn, endedBy } = useSession();
  const [askCode, setAskCode] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<Fields>();

  const submit = async (fields: Fields) => {
    setBusy(true);
    setProblem(null);
    const credentials: Credentials = {
      participant: fields.participant.trim(),
      username: fields.username.trim(),
      password: fields.password,
    };
    if (askCode && fields.code) {
      credentials.code = fields.code.trim();
    }
    try {
      localStorage.setItem(LAST_PARTICIPANT, credentials.participant);
      await signIn(credentials);
    } catch (error) {
      const found = asProblem(error);
      if (slugOf(found) === "second-factor-required") {
        setAskCode(true);
      } else {
        setProblem(found);
        form.setFieldValue("code", "");
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <Card
        className="sign-in-card"
        title={
          <Typography.Title level={1} className="sign-in-title">
            {t("app.title")}
          </Typography.Title>
        }
        extra={<LanguageSwitch />}
      >
        <Typography.Title level={2}>{t("signIn.title")}</Typography.Title>
        {endedBy !== null && (
          <Alert
            className="block"
            type="warning"
            showIcon
            role="status"
            message={t("signIn.expired")}
          />
        )}
        {problem !== null && (
          <div className="block">
            <ProblemAlert problem={problem} />
          </div>
        )}
        <Form<Fields>
          form={form}
          layout="vertical"
          requiredMark={false}
          initialValues={{ participant: localStorage.getItem(LAST_PARTICIPANT) ?? "" }}
          onFinish={(fields) => void submit(fields)}
        >
          <Form.Item
            name="participant"
            label={t("signIn.participant")}
            rules={[{ required: true, message: t("signIn.required") }]}
          >
            <Input autoComplete="organization" />
          </Form.Item>
          <Form.Item
            name="username"
            label={t("signIn.username")}
            rules={[{ required: true, message: t("signIn.required") }]}
          >
            <Input autoComplete="username" />
          </Form.Item>
          <Form.Item
            name="password"
            label={t("signIn.password")}
            rules={[{ required: true, message: t("signIn.required") }]}
          >
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          {askCode && (
            <Form.Item
              name="code"
              label={t("signIn.code")}
              extra={t("signIn.codeHint")}
              rules={[{ required: true, message: t("signIn.required") }]}
            >
              <Input autoComplete="one-time-code" inputMode="numeric" maxLength={16} autoFocus />
            </Form.Item>
          )}
          <Button type="primary" htmlType="submit" block loading={busy}>
            {t("signIn.submit")}
          </Button>
        </Form>
        <SsoButton participant={() => String(form.getFieldValue("participant") ?? "")} />
      </Card>
    </main>
  );
}

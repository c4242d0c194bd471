// 穿透: trace any piece by its number (auditors see every piece; others what they may see).
import { Button, Form, InputNumber, Space, Typography } from "antd";
import { useSearchParams } from "react-router";
import { usePreferences } from "../i18n/I18n";
import { PieceView } from "./PieceDetail";

export function Lineage() {
  const { t } = usePreferences();
  const [params, setParams] = useSearchParams();
  const id = Number(params.get("piece"));
  const chosen = Number.isSafeInteger(id) && id > 0 ? id : null;
  return (
    <>
      <Typography.Title level={2}>{t("lineage.title")}</Typography.Title>
      <Typography.Paragraph type="secondary">{t("lineage.intro")}</Typography.Paragraph>
      <Form
        layout="inline"
        className="block"
        initialValues={{ piece: chosen ?? undefined }}
        onFinish={({ piece }: { piece: number }) => {
          setParams({ piece: String(piece) });
        }}
      >
        <Space>
          <Form.Item name="piece" label={t("lineage.tokenId")} rules={[{ required: true, message: t("signIn.required") }]}>
            <InputNumber min={1} precision={0} />
          </Form.Item>
          <Button type="primary" htmlType="submit">
            {t("lineage.go")}
          </Button>
        </Space>
      </Form>
      {chosen !== null && <PieceView tokenId={chosen} />}
    </>
  );
}

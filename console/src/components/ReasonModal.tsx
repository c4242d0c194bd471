// Asks for a reason (refusing a piece, rejecting a draft) before calling `onSubmit`.
import { Form, Input, Modal } from "antd";
import { useState } from "react";
import { usePreferences } from "../i18n/I18n";

export function ReasonModal({
  title,
  open,
  onCancel,
  onSubmit,
}: {
  title: string;
  open: boolean;
  onCancel: () => void;
  onSubmit: (reason: string) => Promise<void>;
}) {
  const { t } = usePreferences();
  const [form] = Form.useForm<{ reason: string }>();
  const [busy, setBusy] = useState(false);
  return (
    <Modal
      title={title}
      open={open}
      okText={t("common.ok")}
      cancelText={t("common.cancel")}
      confirmLoading={busy}
      destroyOnHidden
      onCancel={onCancel}
      onOk={() => {
        void form.validateFields().then(async ({ reason }) => {
          setBusy(true);
          try {
            await onSubmit(reason.trim());
            form.resetFields();
          } finally {
            setBusy(false);
          }
        });
      }}
    >
      <Form form={form} layout="vertical" requiredMark={false}>
        <Form.Item
          name="reason"
          label={t("common.reason")}
          rules={[{ required: true, whitespace: true, max: 500, message: t("inbox.refuseReason") }]}
        >
          <Input.TextArea rows={3} maxLength={500} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

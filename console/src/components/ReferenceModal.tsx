// Asks for the reference of a payment made off-chain (a wire's number) before `onSubmit`.
import { Form, Input, Modal } from "antd";
import { useState, type ReactNode } from "react";
import { usePreferences } from "../i18n/I18n";

export function ReferenceModal({
  title,
  open,
  children,
  onCancel,
  onSubmit,
}: {
  title: string;
  open: boolean;
  children?: ReactNode;
  onCancel: () => void;
  onSubmit: (reference: string) => Promise<void>;
}) {
  const { t } = usePreferences();
  const [form] = Form.useForm<{ reference: string }>();
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
        void form.validateFields().then(async ({ reference }) => {
          setBusy(true);
          try {
            await onSubmit(reference.trim());
            form.resetFields();
          } finally {
            setBusy(false);
          }
        });
      }}
    >
      {children}
      <Form form={form} layout="vertical" requiredMark={false}>
        <Form.Item
          name="reference"
          label={t("settle.reference")}
          rules={[{ required: true, whitespace: true, max: 128, message: t("settle.referenceRequired") }]}
        >
          <Input maxLength={128} autoComplete="off" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

// Asks for one text (a reason, a payment's reference) before calling `onSubmit` with it
// trimmed; the modal stays open, busy, until `onSubmit` settles.
import { Form, Input, Modal } from "antd";
import { useState, type ReactNode } from "react";
import { usePreferences } from "../i18n/I18n";

export interface TextPromptModalProps {
  title: string;
  open: boolean;
  /** The field's label (how the browser tests find it). */
  label: string;
  /** Said when the text is empty, blank or longer than `maxLength`. */
  required: string;
  maxLength: number;
  /** A paragraph (a reason) rather than one line (a reference). */
  multiline?: boolean;
  /** Shown above the field: what the text is asked for. */
  children?: ReactNode;
  onCancel: () => void;
  onSubmit: (text: string) => Promise<void>;
}

export function TextPromptModal({
  title,
  open,
  label,
  required,
  maxLength,
  multiline = false,
  children,
  onCancel,
  onSubmit,
}: TextPromptModalProps) {
  const { t } = usePreferences();
  const [form] = Form.useForm<{ text: string }>();
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
        void form.validateFields().then(async ({ text }) => {
          setBusy(true);
          try {
            await onSubmit(text.trim());
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
          name="text"
          label={label}
          rules={[{ required: true, whitespace: true, max: maxLength, message: required }]}
        >
          {multiline ? (
            <Input.TextArea rows={3} maxLength={maxLength} />
          ) : (
            <Input maxLength={maxLength} autoComplete="off" />
          )}
        </Form.Item>
      </Form>
    </Modal>
  );
}

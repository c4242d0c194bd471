// What an administration act made, shown this once (a temporary password, a second-factor
// secret, an API key): the gateway keeps only hashes or sealed copies.
import { Alert, Descriptions, Modal, Typography } from "antd";
import { usePreferences } from "../../i18n/I18n";
import type { Secrets } from "./admin";

export function SecretsModal({ secrets, onClose }: { secrets: Secrets | null; onClose: () => void }) {
  const { t } = usePreferences();
  const rows: [string, string | null | undefined][] = [
    [t("people.temporaryPassword"), secrets?.temporary_password],
    [t("people.totpSecret"), secrets?.totp_secret],
    [t("people.otpauthUri"), secrets?.otpauth_uri],
    [t("keys.key"), secrets?.api_key],
  ];
  return (
    <Modal
      title={t("people.secretsTitle")}
      open={secrets !== null}
      onCancel={onClose}
      onOk={onClose}
      okText={t("people.secretsDone")}
      cancelButtonProps={{ style: { display: "none" } }}
      destroyOnHidden
    >
      <Alert type="warning" showIcon className="block" message={t("people.secretsOnce")} />
      <Descriptions column={1} size="small" bordered data-testid="secrets">
        {rows
          .filter(([, value]) => typeof value === "string" && value !== "")
          .map(([label, value]) => (
            <Descriptions.Item key={label} label={label}>
              <Typography.Text code copyable style={{ wordBreak: "break-all" }}>
                {value}
              </Typography.Text>
            </Descriptions.Item>
          ))}
      </Descriptions>
    </Modal>
  );
}

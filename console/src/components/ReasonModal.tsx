// Asks for a reason (refusing a piece, rejecting a draft, disputing a payment) before
// calling `onSubmit`: the TextPromptModal of a reason. 128 characters: every reason the API
// takes (fields.Reference, set-off refusals) is at most 128.
import { usePreferences } from "../i18n/I18n";
import { TextPromptModal } from "./TextPromptModal";

export function ReasonModal(props: {
  title: string;
  open: boolean;
  onCancel: () => void;
  onSubmit: (reason: string) => Promise<void>;
}) {
  const { t } = usePreferences();
  return (
    <TextPromptModal {...props} label={t("common.reason")} required={t("inbox.refuseReason")} maxLength={128} multiline />
  );
}

// The institution's people and service accounts (GET /v1/users, admins): create one, change
// its roles, disable or enable it, reset its password or second factor. What an act makes
// is shown this once; under maker-checker the act waits for a checker and its maker reads
// what it made afterwards (Reveal).
import { Button, Checkbox, Form, Input, Modal, Radio, Space, Table, Tag, Typography } from "antd";
import { useCallback, useEffect, useState } from "react";
import { api } from "../../api/client";
import { asProblem, must, type Problem } from "../../api/problems";
import { ProblemAlert } from "../../components/ProblemAlert";
import { usePreferences } from "../../i18n/I18n";
import type { MessageKey } from "../../i18n/messages";
import { useSignedIn } from "../../session/Session";
import { formatDate } from "../../time";
import { useOutcome } from "../consortium/useOutcome";
import {
  createUser,
  resetPassword,
  resetSecondFactor,
  ROLES,
  updateUser,
  type Made,
  type Role,
  type Secrets,
  type User,
} from "./admin";
import { Reveal } from "./Reveal";
import { SecretsModal } from "./SecretsModal";

interface NewUser {
  username: string;
  display_name: string;
  roles: Role[];
  kind: "user" | "service";
}

export function People() {
  const { t, lang, timeZone } = usePreferences();
  const who = useSignedIn();
  const report = useOutcome();
  const [users, setUsers] = useState<User[] | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [secrets, setSecrets] = useState<Secrets | null>(null);
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<User | null>(null);
  const [busy, setBusy] = useState(false);
  const [tick, setTick] = useState(0);
  const [createForm] = Form.useForm<NewUser>();
  const [rolesForm] = Form.useForm<{ roles: Role[] }>();

  const load = useCallback(async () => {
    setProblem(null);
    try {
      setUsers(must(await api.GET("/v1/users")));
    } catch (error) {
      setProblem(asProblem(error));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  /** Runs an act; shows what it made, or says it waits for a checker. */
  const run = async (act: () => Promise<Made>, done: string): Promise<boolean> => {
    setBusy(true);
    const box: { shown: Secrets | null } = { shown: null };
    const ok = await report(async () => {
      const made = await act();
      if (made.kind === "made") {
        const s = made.secrets;
        if (s.temporary_password || s.totp_secret || s.api_key) box.shown = s;
      }
      return made;
    }, done);
    setBusy(false);
    if (box.shown !== null) setSecrets(box.shown);
    setTick((n) => n + 1);
    await load();
    return ok;
  };

  const columns = [
    { title: t("people.username"), dataIndex: "username", render: (u: string) => <code>{u}</code> },
    { title: t("people.displayName"), dataIndex: "display_name" },
    {
      title: t("people.kind"),
      dataIndex: "kind",
      render: (k: string) => t(k === "service" ? "people.kind.service" : "people.kind.user"),
    },
    {
      title: t("people.roles"),
      dataIndex: "roles",
      render: (roles: string[]) => roles.map((r) => <Tag key={r}>{t(`role.${r}` as MessageKey)}</Tag>),
    },
    {
      title: t("people.state"),
      key: "state",
      render: (_: unknown, u: User) => (
        <Space size={4} wrap>
          {u.disabled ? <Tag color="red">{t("people.disabled")}</Tag> : <Tag color="green">{t("people.enabled")}</Tag>}
          {u.locked_until !== null && <Tag color="orange">{t("people.locked")}</Tag>}
          {u.must_change_password && <Tag color="gold">{t("people.mustChange")}</Tag>}
          {u.second_factor && <Tag>{t("people.secondFactor")}</Tag>}
        </Space>
      ),
    },
    { title: t("people.created"), dataIndex: "created_at", render: (at: string) => formatDate(at, lang, timeZone) },
    {
      title: "",
      key: "actions",
      render: (_: unknown, u: User) => {
        const self = u.username === who.person.username;
        return (
          <Space size={4} wrap>
            <Button
              size="small"
              disabled={busy}
              onClick={() => {
                rolesForm.setFieldsValue({ roles: u.roles });
                setEditing(u);
              }}
            >
              {t("people.editRoles")}
            </Button>
            <Button
              size="small"
              danger={!u.disabled}
              disabled={busy || self}
              onClick={() =>
                void run(
                  () => updateUser(u.id, { disabled: !u.disabled }),
                  t(u.disabled ? "people.enabledDone" : "people.disabledDone", { name: u.username }),
                )
              }
            >
              {t(u.disabled ? "people.enable" : "people.disable")}
            </Button>
            {u.kind === "user" && (
              <>
                <Button
                  size="small"
                  disabled={busy}
                  onClick={() => void run(() => resetPassword(u.id), t("people.passwordResetDone", { name: u.username }))}
                >
                  {t("people.resetPassword")}
                </Button>
                <Button
                  size="small"
                  disabled={busy || !u.second_factor}
                  onClick={() => void run(() => resetSecondFactor(u.id), t("people.secondFactorResetDone", { name: u.username }))}
                >
                  {t("people.resetSecondFactor")}
                </Button>
              </>
            )}
          </Space>
        );
      },
    },
  ];

  return (
    <>
      <Typography.Title level={2}>{t("people.title")}</Typography.Title>
      <Typography.Paragraph type="secondary">{t("people.intro")}</Typography.Paragraph>
      <Space className="block">
        <Button type="primary" onClick={() => { setCreating(true); }}>
          {t("people.create")}
        </Button>
        <Button onClick={() => void load()}>{t("common.refresh")}</Button>
      </Space>
      <Reveal kind="user.admin" onSecrets={setSecrets} tick={tick} />
      {problem !== null ? (
        <ProblemAlert problem={problem} onRetry={() => void load()} />
      ) : (
        <Table<User>
          aria-label={t("people.title")}
          size="middle"
          rowKey="id"
          loading={users === null}
          dataSource={users ?? []}
          columns={columns}
          pagination={false}
          scroll={{ x: "max-content" }}
        />
      )}
      <SecretsModal secrets={secrets} onClose={() => { setSecrets(null); }} />
      <Modal
        title={t("people.create")}
        open={creating}
        okText={t("people.create")}
        cancelText={t("common.cancel")}
        confirmLoading={busy}
        onCancel={() => { setCreating(false); }}
        onOk={() => {
          void createForm.validateFields().then(async (user) => {
            const ok = await run(() => createUser(user), t("people.created.done", { name: user.username }));
            if (ok) {
              setCreating(false);
              createForm.resetFields();
            }
          });
        }}
      >
        <Form form={createForm} layout="vertical" initialValues={{ roles: ["maker"], kind: "user", display_name: "" }}>
          <Form.Item
            name="username"
            label={t("people.username")}
            rules={[{ required: true, pattern: /^[a-z0-9][a-z0-9._-]*$/, max: 64, message: t("people.badUsername") }]}
          >
            <Input spellCheck={false} autoComplete="off" />
          </Form.Item>
          <Form.Item name="display_name" label={t("people.displayName")} rules={[{ max: 128 }]}>
            <Input />
          </Form.Item>
          <Form.Item name="kind" label={t("people.kind")}>
            <Radio.Group
              options={[
                { value: "user", label: t("people.kind.user") },
                { value: "service", label: t("people.kind.service") },
              ]}
            />
          </Form.Item>
          <Form.Item name="roles" label={t("people.roles")} rules={[{ required: true, message: t("signIn.required") }]}>
            <Checkbox.Group options={ROLES.map((r) => ({ value: r, label: t(`role.${r}` as MessageKey) }))} />
          </Form.Item>
        </Form>
      </Modal>
      <Modal
        title={t("people.rolesOf", { name: editing?.username ?? "" })}
        open={editing !== null}
        okText={t("common.ok")}
        cancelText={t("common.cancel")}
        confirmLoading={busy}
        onCancel={() => { setEditing(null); }}
        onOk={() => {
          const user = editing;
          if (user === null) return;
          void rolesForm.validateFields().then(async ({ roles }) => {
            const ok = await run(() => updateUser(user.id, { roles }), t("people.rolesDone", { name: user.username }));
            if (ok) setEditing(null);
          });
        }}
      >
        <Form form={rolesForm} layout="vertical">
          <Form.Item name="roles" label={t("people.roles")} rules={[{ required: true, message: t("signIn.required") }]}>
            <Checkbox.Group options={ROLES.map((r) => ({ value: r, label: t(`role.${r}` as MessageKey) }))} />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}

// The institution's API keys (GET /v1/participants/{own}/api-keys: every key to an admin,
// its own to anyone else): issue one (shown this once), revoke one.
import { Button, Checkbox, DatePicker, Form, Input, Modal, Popconfirm, Select, Space, Table, Tag, Typography } from "antd";
import type { Dayjs } from "dayjs";
import { useCallback, useEffect, useState } from "react";
import { api } from "../../api/client";
import { asProblem, must, type Problem } from "../../api/problems";
import { ProblemAlert } from "../../components/ProblemAlert";
import { usePreferences } from "../../i18n/I18n";
import { useSignedIn } from "../../session/Session";
import { formatDate } from "../../time";
import { useOutcome } from "../consortium/useOutcome";
import { issueKey, revokeKey, type ApiKey, type Secrets, type User } from "./admin";
import { Reveal } from "./Reveal";
import { SecretsModal } from "./SecretsModal";

const SCOPES = ["read", "write", "approve"] as const;
type Scope = (typeof SCOPES)[number];

interface NewKey {
  name: string;
  owner?: string;
  scopes: Scope[];
  expires?: Dayjs | null;
}

export function ApiKeys() {
  const { t, lang, timeZone } = usePreferences();
  const who = useSignedIn();
  const participant = who.person.participant;
  const admin = who.person.roles.includes("admin");
  const report = useOutcome();
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [owners, setOwners] = useState<User[]>([]);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [secrets, setSecrets] = useState<Secrets | null>(null);
  const [issuing, setIssuing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [tick, setTick] = useState(0);
  const [form] = Form.useForm<NewKey>();

  const load = useCallback(async () => {
    setProblem(null);
    try {
      setKeys(must(await api.GET("/v1/participants/{name}/api-keys", { params: { path: { name: participant } } })));
      if (admin) setOwners(must(await api.GET("/v1/users")));
    } catch (error) {
      setProblem(asProblem(error));
    }
  }, [participant, admin]);
  useEffect(() => {
    void load();
  }, [load]);

  const columns = [
    { title: t("keys.prefix"), dataIndex: "prefix", render: (p: string) => <code>{p}</code> },
    { title: t("keys.name"), dataIndex: "name" },
    { title: t("keys.owner"), dataIndex: "owner" },
    { title: t("keys.scopes"), dataIndex: "scopes", render: (s: string[]) => s.map((x) => <Tag key={x}>{x}</Tag>) },
    { title: t("keys.created"), dataIndex: "created_at", render: (at: string) => formatDate(at, lang, timeZone) },
    {
      title: t("keys.expires"),
      dataIndex: "expires_at",
      render: (at: string | null) => (at === null ? "—" : formatDate(at, lang, timeZone)),
    },
    {
      title: t("keys.lastUsed"),
      dataIndex: "last_used_at",
      render: (at: string | null) => (at === null ? "—" : formatDate(at, lang, timeZone, true)),
    },
    {
      title: "",
      key: "actions",
      render: (_: unknown, k: ApiKey) =>
        k.revoked_at !== null ? (
          <Tag color="red">{t("keys.revoked")}</Tag>
        ) : (
          <Popconfirm
            title={t("keys.revokeConfirm", { prefix: k.prefix })}
            okText={t("keys.revoke")}
            cancelText={t("common.cancel")}
            onConfirm={() => {
              void (async () => {
                setBusy(true);
                await report(async () => {
                  const draft = await revokeKey(participant, k.prefix);
                  return draft === null ? { kind: "done" } : { kind: "drafted", draft };
                }, t("keys.revokedDone", { prefix: k.prefix }));
                setBusy(false);
                setTick((n) => n + 1);
                await load();
              })();
            }}
          >
            <Button danger size="small" disabled={busy}>
              {t("keys.revoke")}
            </Button>
          </Popconfirm>
        ),
    },
  ];

  return (
    <>
      <Typography.Title level={2}>{t("keys.title")}</Typography.Title>
      <Typography.Paragraph type="secondary">{t("keys.intro")}</Typography.Paragraph>
      {admin && (
        <Space className="block">
          <Button type="primary" onClick={() => { setIssuing(true); }}>
            {t("keys.issue")}
          </Button>
        </Space>
      )}
      {admin && <Reveal kind="key.admin" onSecrets={setSecrets} tick={tick} />}
      {problem !== null ? (
        <ProblemAlert problem={problem} onRetry={() => void load()} />
      ) : (
        <Table<ApiKey>
          aria-label={t("keys.title")}
          size="middle"
          rowKey="prefix"
          loading={keys === null}
          dataSource={keys ?? []}
          columns={columns}
          pagination={false}
          scroll={{ x: "max-content" }}
        />
      )}
      <SecretsModal secrets={secrets} onClose={() => { setSecrets(null); }} />
      <Modal
        title={t("keys.issue")}
        open={issuing}
        okText={t("keys.issue")}
        cancelText={t("common.cancel")}
        confirmLoading={busy}
        onCancel={() => { setIssuing(false); }}
        onOk={() => {
          void form.validateFields().then(async (key) => {
            setBusy(true);
            const box: { shown: Secrets | null } = { shown: null };
            const ok = await report(async () => {
              const made = await issueKey(participant, {
                name: key.name,
                scopes: key.scopes,
                owner: key.owner ?? null,
                expires_at: key.expires ? key.expires.endOf("day").toISOString() : null,
              });
              if (made.kind === "made") box.shown = made.secrets;
              return made;
            }, t("keys.issuedDone", { name: key.name }));
            setBusy(false);
            if (ok) {
              setIssuing(false);
              form.resetFields();
            }
            if (box.shown !== null) setSecrets(box.shown);
            setTick((n) => n + 1);
            await load();
          });
        }}
      >
        <Form form={form} layout="vertical" initialValues={{ scopes: ["read", "write"] }}>
          <Form.Item name="name" label={t("keys.name")} rules={[{ required: true, max: 64, message: t("signIn.required") }]}>
            <Input autoComplete="off" />
          </Form.Item>
          <Form.Item name="owner" label={t("keys.owner")}>
            <Select
              allowClear
              placeholder={who.person.username}
              options={owners.filter((u) => !u.disabled).map((u) => ({ value: u.username, label: u.username }))}
            />
          </Form.Item>
          <Form.Item name="scopes" label={t("keys.scopes")} rules={[{ required: true, message: t("signIn.required") }]}>
            <Checkbox.Group options={SCOPES.map((s) => ({ value: s, label: s }))} />
          </Form.Item>
          <Form.Item name="expires" label={t("keys.expires")}>
            <DatePicker />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}

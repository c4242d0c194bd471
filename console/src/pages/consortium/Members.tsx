// The consortium's members (GET /v1/members): name, address, roles, status; a consortium
// admin proposes admitting one, or suspending / reinstating one (M-of-N proposals that other
// admins approve on the proposals page).
import { Button, Checkbox, Form, Input, Modal, Space, Table, Tag, Typography } from "antd";
import { useCallback, useEffect, useState } from "react";
import { api, type ConsortiumRole, type Member } from "../../api/client";
import { asProblem, must, type Problem } from "../../api/problems";
import { ProblemAlert } from "../../components/ProblemAlert";
import { ReasonModal } from "../../components/ReasonModal";
import { usePreferences } from "../../i18n/I18n";
import type { MessageKey } from "../../i18n/messages";
import { useSignedIn } from "../../session/Session";
import { propose, reinstate, suspend, type Admission } from "./govern";
import { useOutcome } from "./useOutcome";

const ROLES: ConsortiumRole[] = ["core_enterprise", "supplier", "financier", "auditor", "admin"];

/** Whether the signed-in person casts governance votes: an admin of an admin member. */
export function governs(who: ReturnType<typeof useSignedIn>): boolean {
  return who.person.roles.includes("admin") && (who.participant?.roles ?? []).includes("admin");
}

export function Members() {
  const { t } = usePreferences();
  const who = useSignedIn();
  const report = useOutcome();
  const [members, setMembers] = useState<Member[] | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [suspending, setSuspending] = useState<Member | null>(null);
  const [admitting, setAdmitting] = useState(false);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<Admission>();
  const admin = governs(who);

  const load = useCallback(async () => {
    setProblem(null);
    try {
      setMembers(must(await api.GET("/v1/members")));
    } catch (error) {
      setProblem(asProblem(error));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const columns = [
    { title: t("members.name"), dataIndex: "name" },
    { title: t("members.address"), dataIndex: "address", render: (a: string) => <code>{a}</code> },
    {
      title: t("members.roles"),
      dataIndex: "roles",
      render: (roles: string[]) => roles.map((r) => <Tag key={r}>{t(`consortium.${r}` as MessageKey)}</Tag>),
    },
    {
      title: t("members.status"),
      dataIndex: "status",
      render: (s: string) => (
        <Tag color={s === "active" ? "green" : "red"}>
          {s === "active" || s === "suspended" ? t(`members.status.${s}`) : s}
        </Tag>
      ),
    },
    ...(admin
      ? [
          {
            title: "",
            key: "actions",
            render: (_: unknown, m: Member) =>
              m.status === "suspended" ? (
                <Button
                  size="small"
                  disabled={busy}
                  onClick={() => {
                    setBusy(true);
                    void report(() => reinstate(m.address), t("members.reinstateProposed", { name: m.name })).finally(() => {
                      setBusy(false);
                    });
                  }}
                >
                  {t("members.reinstate")}
                </Button>
              ) : (
                <Button
                  danger
                  size="small"
                  disabled={busy}
                  onClick={() => {
                    setSuspending(m);
                  }}
                >
                  {t("members.suspend")}
                </Button>
              ),
          },
        ]
      : []),
  ];

  return (
    <>
      <Typography.Title level={2}>{t("members.title")}</Typography.Title>
      <Typography.Paragraph type="secondary">{t("members.intro")}</Typography.Paragraph>
      {admin && (
        <Space className="block">
          <Button type="primary" onClick={() => { setAdmitting(true); }}>
            {t("members.admit")}
          </Button>
        </Space>
      )}
      {problem !== null ? (
        <ProblemAlert problem={problem} onRetry={() => void load()} />
      ) : (
        <Table<Member>
          aria-label={t("members.title")}
          size="middle"
          rowKey="address"
          loading={members === null}
          dataSource={members ?? []}
          columns={columns}
          pagination={false}
          scroll={{ x: "max-content" }}
        />
      )}
      <ReasonModal
        title={t("members.suspendTitle", { name: suspending?.name ?? "" })}
        open={suspending !== null}
        onCancel={() => { setSuspending(null); }}
        onSubmit={async (reason) => {
          const member = suspending;
          setSuspending(null);
          if (member === null) return;
          await report(() => suspend(member.address, reason), t("members.suspendProposed", { name: member.name }));
        }}
      />
      <Modal
        title={t("members.admit")}
        open={admitting}
        okText={t("members.propose")}
        cancelText={t("common.cancel")}
        confirmLoading={busy}
        onCancel={() => { setAdmitting(false); }}
        onOk={() => {
          void form.validateFields().then(async (admission) => {
            setBusy(true);
            const ok = await report(() => propose(admission), t("members.admitProposed", { name: admission.name }));
            setBusy(false);
            if (ok) {
              setAdmitting(false);
              form.resetFields();
            }
          });
        }}
      >
        <Form form={form} layout="vertical" initialValues={{ roles: ["supplier"] }}>
          <Form.Item
            name="name"
            label={t("members.name")}
            rules={[{ required: true, max: 128, message: t("signIn.required") }]}
          >
            <Input />
          </Form.Item>
          <Form.Item
            name="address"
            label={t("members.address")}
            rules={[{ required: true, pattern: /^0x[0-9a-fA-F]{40}$/, message: t("members.badAddress") }]}
          >
            <Input placeholder="0x…" spellCheck={false} />
          </Form.Item>
          <Form.Item name="legal_id" label={t("members.legalId")} rules={[{ required: true, max: 128, message: t("signIn.required") }]}>
            <Input />
          </Form.Item>
          <Form.Item name="kyc" label={t("members.kyc")} rules={[{ required: true, max: 128, message: t("signIn.required") }]}>
            <Input />
          </Form.Item>
          <Form.Item name="roles" label={t("members.roles")} rules={[{ required: true, message: t("signIn.required") }]}>
            <Checkbox.Group options={ROLES.map((r) => ({ value: r, label: t(`consortium.${r}` as MessageKey) }))} />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}

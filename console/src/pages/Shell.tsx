// The signed-in layout: who (institution, person, roles), a menu by the person's roles and
// the institution's consortium roles, the time zone and language, sign out.
import {
  ApartmentOutlined,
  AuditOutlined,
  BankOutlined,
  CheckCircleOutlined,
  ClockCircleOutlined,
  FileAddOutlined,
  BarChartOutlined,
  CalendarOutlined,
  ClusterOutlined,
  DashboardOutlined,
  FileSearchOutlined,
  InboxOutlined,
  KeyOutlined,
  LogoutOutlined,
  PayCircleOutlined,
  NodeIndexOutlined,
  TeamOutlined,
  MoneyCollectOutlined,
  WalletOutlined,
  WarningOutlined,
  // setoff screens
  RetweetOutlined,
  SyncOutlined,
  // erp screens
  ReconciliationOutlined,
  UploadOutlined,
} from "@ant-design/icons";
import { Badge, Button, Layout, Menu, Select, Space, Tag, Typography } from "antd";
import type { ReactNode } from "react";
import { Navigate, Route, Routes, useLocation, useNavigate } from "react-router";
import type { ConsortiumRole } from "../api/client";
import { LanguageSwitch } from "../components/LanguageSwitch";
import { DEFAULT_ZONE, usePreferences } from "../i18n/I18n";
import type { MessageKey } from "../i18n/messages";
import { useSession, useSignedIn, type SignedIn } from "../session/Session";
// story screens
import { IssueReceivable } from "./core/IssueReceivable";
import { PendingConfirmations } from "./core/PendingConfirmations";
import { SettlementPage } from "./core/Settlement";
import { FinancingQueue } from "./financier/FinancingQueue";
import { Overdue } from "./financier/Overdue";
import { RequestReview } from "./financier/RequestReview";
import { PaymentsReceived } from "./payments/PaymentsReceived";
import { Drafts } from "./Drafts";
import { Holdings } from "./Holdings";
import { Inbox } from "./Inbox";
import { Lineage } from "./Lineage";
import { NotFound } from "./NotFound";
import { PieceDetail } from "./PieceDetail";
// oversight screens
import { ApiKeys } from "./admin/ApiKeys";
import { People } from "./admin/People";
import { Members } from "./consortium/Members";
import { Proposals } from "./consortium/Proposals";
import { Status } from "./consortium/Status";
import { NotificationBell, NotificationsProvider, useNotifications } from "./everyday/Notifications";
import { Payables } from "./everyday/Payables";
import { Portfolio } from "./everyday/Portfolio";
import { Search } from "./oversight/Search";
// sme screens
import { AskForMoney } from "./sme/AskForMoney";
import { FinancingDetail } from "./sme/FinancingDetail";
import { FinancingList } from "./sme/FinancingList";
import { PayWithPiece } from "./sme/PayWithPiece";
// setoff screens
import { AwaitingRoundsLabel } from "./setoff/AwaitingBadge";
import { RoundDetail } from "./setoff/RoundDetail";
import { SetoffPlan } from "./setoff/SetoffPlan";
import { SetoffRounds } from "./setoff/SetoffRounds";
// erp screens
import { BatchImport } from "./erp/BatchImport";
import { BatchResult } from "./erp/BatchResult";
import { Statements } from "./erp/Statements";

interface Entry {
  path: string;
  label: MessageKey;
  icon: ReactNode;
  shown: (who: SignedIn, consortium: Set<ConsortiumRole>) => boolean;
}

// In the order of the menu; the first one shown is the home page.
const ENTRIES: Entry[] = [
  {
    path: "/inbox",
    label: "menu.inbox",
    icon: <InboxOutlined />,
    shown: (_, consortium) => consortium.has("supplier") || consortium.has("financier"),
  },
  {
    path: "/drafts",
    label: "menu.drafts",
    icon: <AuditOutlined />,
    shown: (who) => who.person.roles.some((r) => ["maker", "checker", "admin"].includes(r)),
  },
  // story screens (core enterprise, financier, payments received)
  {
    path: "/core/issue",
    label: "menu.issue",
    icon: <FileAddOutlined />,
    shown: (_, consortium) => consortium.has("core_enterprise"),
  },
  {
    path: "/core/pending",
    label: "menu.pending",
    icon: <ClockCircleOutlined />,
    shown: (_, consortium) => consortium.has("core_enterprise"),
  },
  {
    path: "/core/settlement",
    label: "menu.settle",
    icon: <PayCircleOutlined />,
    shown: (_, consortium) => consortium.has("core_enterprise"),
  },
  {
    path: "/financier/requests",
    label: "menu.queue",
    icon: <BankOutlined />,
    shown: (_, consortium) => consortium.has("financier"),
  },
  {
    path: "/financier/overdue",
    label: "menu.overdue",
    icon: <WarningOutlined />,
    shown: (_, consortium) => consortium.has("financier"),
  },
  {
    path: "/payments/received",
    label: "menu.received",
    icon: <CheckCircleOutlined />,
    shown: (_, consortium) => consortium.has("supplier") || consortium.has("financier"),
  },
  { path: "/pieces", label: "menu.holdings", icon: <WalletOutlined />, shown: () => true },
  // sme screens
  {
    path: "/financing",
    label: "menu.financing",
    icon: <MoneyCollectOutlined />,
    shown: (_, consortium) => consortium.has("supplier"),
  },
  { path: "/lineage", label: "menu.lineage", icon: <ApartmentOutlined />, shown: () => true },
  // setoff screens (三角债清理: members who owe and are owed, i.e. core enterprises; auditors)
  {
    path: "/setoff/plan",
    label: "menu.setoffPlan",
    icon: <SyncOutlined />,
    shown: (_, consortium) => consortium.has("core_enterprise") || consortium.has("auditor"),
  },
  {
    path: "/setoff/rounds",
    label: "menu.setoffRounds",
    icon: <RetweetOutlined />,
    shown: (_, consortium) => consortium.has("core_enterprise") || consortium.has("auditor"),
  },
  // oversight screens
  {
    path: "/payables",
    label: "menu.payables",
    icon: <CalendarOutlined />,
    shown: (_, consortium) => consortium.has("core_enterprise"),
  },
  {
    path: "/portfolio",
    label: "menu.portfolio",
    icon: <BarChartOutlined />,
    shown: (_, consortium) => consortium.has("financier"),
  },
  {
    path: "/search",
    label: "menu.search",
    icon: <FileSearchOutlined />,
    shown: (_, consortium) => consortium.has("auditor") || consortium.has("admin"),
  },
  {
    path: "/members",
    label: "menu.members",
    icon: <ClusterOutlined />,
    shown: (_, consortium) => consortium.has("auditor") || consortium.has("admin"),
  },
  {
    path: "/proposals",
    label: "menu.proposals",
    icon: <NodeIndexOutlined />,
    shown: (_, consortium) => consortium.has("auditor") || consortium.has("admin"),
  },
  {
    path: "/status",
    label: "menu.status",
    icon: <DashboardOutlined />,
    shown: (_, consortium) => consortium.has("auditor") || consortium.has("admin"),
  },
  // erp screens
  {
    path: "/core/import",
    label: "menu.batchImport",
    icon: <UploadOutlined />,
    shown: (_, consortium) => consortium.has("core_enterprise"),
  },
  { path: "/statements", label: "menu.statements", icon: <ReconciliationOutlined />, shown: () => true },
  { path: "/people", label: "menu.people", icon: <TeamOutlined />, shown: (who) => who.person.roles.includes("admin") },
  { path: "/api-keys", label: "menu.apiKeys", icon: <KeyOutlined />, shown: (who) => who.person.roles.includes("admin") },
];

const ZONES = [DEFAULT_ZONE, "UTC", "Asia/Hong_Kong", "Asia/Singapore", "Europe/London"];

export function Shell() {
  return (
    <NotificationsProvider>
      <Signed />
    </NotificationsProvider>
  );
}

function Signed() {
  const { toSign, seenToSign } = useNotifications();
  const who = useSignedIn();
  const { signOut } = useSession();
  const { t, timeZone, setTimeZone } = usePreferences();
  const navigate = useNavigate();
  const location = useLocation();
  const consortium = new Set(who.participant?.roles ?? []);
  const entries = ENTRIES.filter((e) => e.shown(who, consortium));
  const home = entries[0]?.path ?? "/pieces";
  const selected = entries.find((e) => location.pathname.startsWith(e.path))?.path;
  const roles = who.person.roles as string[];

  return (
    <Layout className="shell">
      <Layout.Header className="shell-header">
        <Typography.Text strong className="shell-brand">
          {t("app.title")}
        </Typography.Text>
        <Space wrap size="small" className="shell-who">
          <Typography.Text strong data-testid="participant">
            {who.person.participant}
          </Typography.Text>
          {[...consortium].map((r) => (
            <Tag key={r} color="blue">
              {t(`consortium.${r}` as MessageKey)}
            </Tag>
          ))}
          <Typography.Text data-testid="person">{who.person.display_name}</Typography.Text>
          {roles.map((r) => (
            <Tag key={r}>{t(`role.${r}` as MessageKey)}</Tag>
          ))}
          <Select
            size="small"
            aria-label={t("shell.timeZone")}
            value={timeZone}
            onChange={setTimeZone}
            options={[...new Set([timeZone, ...ZONES])].map((z) => ({ value: z, label: z }))}
            popupMatchSelectWidth={false}
          />
          <NotificationBell />
          <LanguageSwitch />
          <Button icon={<LogoutOutlined />} onClick={() => void signOut()}>
            {t("shell.signOut")}
          </Button>
        </Space>
      </Layout.Header>
      <Layout>
        {/* Collapsed below 992 px (a tablet's 768 included): the trigger opens the menu. */}
        <Layout.Sider breakpoint="lg" collapsedWidth={0} theme="light" width={200}>
          <nav aria-label="menu">
            <Menu
              mode="inline"
              selectedKeys={selected ? [selected] : []}
              items={entries.map((e) => ({
                key: e.path,
                icon: e.icon,
                label:
                  // setoff screens: the rounds awaiting our answer, counted
                  e.path === "/setoff/rounds" ? (
                    <AwaitingRoundsLabel label={t(e.label)} />
                  ) : e.path === "/inbox" && toSign > 0 ? (
                    <Badge count={toSign} size="small" offset={[10, 0]} data-testid="inbox-badge">
                      {t(e.label)}
                    </Badge>
                  ) : (
                    t(e.label)
                  ),
              }))}
              onClick={({ key }) => {
                if (key === "/inbox") seenToSign();
                void navigate(key);
              }}
            />
          </nav>
        </Layout.Sider>
        <Layout.Content className="shell-content">
          <main>
            <Routes>
              <Route path="/" element={<Navigate to={home} replace />} />
              <Route path="/sign-in" element={<Navigate to={home} replace />} />
              <Route path="/inbox" element={<Inbox />} />
              <Route path="/drafts" element={<Drafts />} />
              {/* story screens */}
              <Route path="/core/issue" element={<IssueReceivable />} />
              <Route path="/core/pending" element={<PendingConfirmations />} />
              <Route path="/core/settlement" element={<SettlementPage />} />
              <Route path="/financier/requests" element={<FinancingQueue />} />
              <Route path="/financier/requests/:requestId" element={<RequestReview />} />
              <Route path="/financier/overdue" element={<Overdue />} />
              <Route path="/payments/received" element={<PaymentsReceived />} />
              <Route path="/pieces" element={<Holdings />} />
              <Route path="/pieces/:tokenId" element={<PieceDetail />} />
              <Route path="/lineage" element={<Lineage />} />
              {/* oversight screens */}
              <Route path="/payables" element={<Payables />} />
              <Route path="/portfolio" element={<Portfolio />} />
              <Route path="/search" element={<Search />} />
              <Route path="/members" element={<Members />} />
              <Route path="/proposals" element={<Proposals />} />
              <Route path="/status" element={<Status />} />
              <Route path="/people" element={<People />} />
              <Route path="/api-keys" element={<ApiKeys />} />
              {/* sme screens */}
              <Route path="/pieces/:tokenId/pay" element={<PayWithPiece />} />
              <Route path="/pieces/:tokenId/finance" element={<AskForMoney />} />
              <Route path="/financing" element={<FinancingList />} />
              <Route path="/financing/:requestId" element={<FinancingDetail />} />
              {/* setoff screens */}
              <Route path="/setoff/plan" element={<SetoffPlan />} />
              <Route path="/setoff/rounds" element={<SetoffRounds />} />
              <Route path="/setoff/rounds/:roundId" element={<RoundDetail />} />
              {/* erp screens */}
              <Route path="/core/import" element={<BatchImport />} />
              <Route path="/core/batches/:batchId" element={<BatchResult />} />
              <Route path="/statements" element={<Statements />} />
              <Route path="*" element={<NotFound home={home} />} />
            </Routes>
          </main>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}

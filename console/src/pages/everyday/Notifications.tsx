// Live notifications: the gateway's event feed as server-sent events (GET /v1/events/stream,
// the session cookie goes along), from the feed's head when the console opened. An event
// for this institution (a receivable or piece to sign for, a financing request, an offer,
// a funding) is shown as it arrives and counted on the inbox's badge and the bell.
import { BellOutlined } from "@ant-design/icons";
import { App, Badge, Button, Drawer, Empty, List, Typography } from "antd";
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { api, type Schemas } from "../../api/client";
import { must } from "../../api/problems";
import { usePreferences } from "../../i18n/I18n";
import type { MessageKey } from "../../i18n/messages";
import { useSession, useSignedIn } from "../../session/Session";

type FeedEvent = Schemas["FeedEventOut"];
type Kind = "toSign" | "request" | "offer" | "funded";

export interface Note {
  id: number;
  kind: Kind;
  values: Record<string, string | number>;
  at: Date;
}

const NAMES = ["ReceivableIssued", "PieceSplit", "FinancingRequested", "FinancingOffered", "FinancingFunded"];

const same = (a: unknown, b: string) => typeof a === "string" && a.toLowerCase() === b;

/** What an event means for the institution at `me` (lower-case address), if anything. */
export function noteOf(event: FeedEvent, me: string, nameOf: (a: string) => string): Omit<Note, "at"> | null {
  const a = event.args;
  const id = event.id;
  switch (event.name) {
    case "ReceivableIssued":
      return same(a.creditor, me) ? { id, kind: "toSign", values: { piece: String(a.tokenId), from: nameOf(String(a.debtor)) } } : null;
    case "PieceSplit":
      return same(a.to, me) ? { id, kind: "toSign", values: { piece: String(a.childTokenId), from: "" } } : null;
    case "FinancingRequested":
      return Array.isArray(a.financiers) && a.financiers.some((f) => same(f, me))
        ? { id, kind: "request", values: { request: String(a.requestId), from: nameOf(String(a.requester)) } }
        : null;
    case "FinancingOffered":
      return same(a.financier, me) ? null : { id, kind: "offer", values: { request: String(a.requestId), from: nameOf(String(a.financier)) } };
    case "FinancingFunded":
      return same(a.financier, me) ? null : { id, kind: "funded", values: { request: String(a.requestId), from: nameOf(String(a.financier)) } };
    default:
      return null;
  }
}

/** The feed's head: its pages (oldest first) read until the cursor stops moving. */
async function feedHead(): Promise<string> {
  let after = "0";
  for (let i = 0; i < 1000; i++) {
    const page = must(await api.GET("/v1/events", { params: { query: { after, limit: 500 } } }));
    if (page.next_cursor === after) return after;
    after = page.next_cursor;
  }
  return after;
}

interface Notifications {
  notes: Note[];
  unread: number;
  toSign: number;
  seen: () => void;
  seenToSign: () => void;
}

const Context = createContext<Notifications>({ notes: [], unread: 0, toSign: 0, seen: () => undefined, seenToSign: () => undefined });

export function NotificationsProvider({ children }: { children: ReactNode }) {
  const who = useSignedIn();
  const { nameOf } = useSession();
  const { notification } = App.useApp();
  const { t } = usePreferences();
  const [notes, setNotes] = useState<Note[]>([]);
  const [unread, setUnread] = useState(0);
  const [toSign, setToSign] = useState(0);
  const me = who.participant?.address.toLowerCase() ?? "";

  useEffect(() => {
    if (me === "") return;
    let source: EventSource | null = null;
    let live = true;
    const arrived = (message: MessageEvent<string>) => {
      const note = noteOf(JSON.parse(message.data) as FeedEvent, me, nameOf);
      if (note === null) return;
      const full = { ...note, at: new Date() };
      setNotes((seen) => (seen.some((n) => n.id === full.id) ? seen : [full, ...seen].slice(0, 50)));
      setUnread((n) => n + 1);
      if (note.kind === "toSign") setToSign((n) => n + 1);
      notification.info({
        key: `event-${String(note.id)}`,
        message: t(`notify.${note.kind}` as MessageKey, note.values),
        placement: "bottomRight",
        duration: 8,
      });
    };
    void feedHead().then(
      (head) => {
        if (!live) return;
        // EventSource reconnects by itself when the stream ends, with Last-Event-ID.
        source = new EventSource(`/v1/events/stream?after=${encodeURIComponent(head)}`);
        for (const name of NAMES) source.addEventListener(name, arrived);
      },
      () => undefined, // no feed, no notifications: the screens still work
    );
    return () => {
      live = false;
      source?.close();
    };
  }, [me, nameOf, notification, t]);

  const seen = useCallback(() => {
    setUnread(0);
  }, []);
  const seenToSign = useCallback(() => {
    setToSign(0);
  }, []);
  const value = useMemo(() => ({ notes, unread, toSign, seen, seenToSign }), [notes, unread, toSign, seen, seenToSign]);
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useNotifications(): Notifications {
  return useContext(Context);
}

/** The bell in the header: how many arrived unseen; the list in a drawer. */
export function NotificationBell() {
  const { t } = usePreferences();
  const { notes, unread, seen } = useNotifications();
  const [open, setOpen] = useState(false);
  return (
    <>
      <Badge count={unread} size="small" data-testid="notification-count">
        <Button
          icon={<BellOutlined />}
          aria-label={t("notify.title")}
          onClick={() => {
            setOpen(true);
            seen();
          }}
        />
      </Badge>
      <Drawer title={t("notify.title")} open={open} onClose={() => { setOpen(false); }}>
        {notes.length === 0 ? (
          <Empty description={t("notify.none")} />
        ) : (
          <List
            dataSource={notes}
            renderItem={(n) => (
              <List.Item key={n.id}>
                <Typography.Text>{t(`notify.${n.kind}` as MessageKey, n.values)}</Typography.Text>
              </List.Item>
            )}
          />
        )}
      </Drawer>
    </>
  );
}

// The menu's 清分轮次 entry with a count of the open rounds awaiting the institution's answer
// (GET /v1/setoff/rounds?awaiting_me=true), read again on each move in the console and every
// minute; "50+" past one page.
import { Badge } from "antd";
import { useEffect, useState } from "react";
import { useLocation } from "react-router";
import { api } from "../../api/client";

const PAGE = 50;
const EVERY_MS = 60_000;

export function AwaitingRoundsLabel({ label }: { label: string }) {
  const { pathname } = useLocation();
  const [count, setCount] = useState<{ n: number; more: boolean }>({ n: 0, more: false });
  useEffect(() => {
    const ended = new AbortController();
    const read = () => {
      void api
        .GET("/v1/setoff/rounds", { params: { query: { awaiting_me: true, limit: PAGE } }, signal: ended.signal })
        .then(({ data }) => {
          // A refused read (no role, offline) shows no count: the list says why.
          if (data !== undefined) setCount({ n: data.items.length, more: data.next_cursor !== null });
        })
        .catch(() => undefined);
    };
    read();
    const timer = window.setInterval(read, EVERY_MS);
    return () => {
      ended.abort();
      window.clearInterval(timer);
    };
  }, [pathname]);
  if (count.n === 0) return <>{label}</>;
  return (
    <Badge count={count.more ? `${PAGE}+` : count.n} size="small" offset={[10, 0]} data-testid="setoff-badge">
      {label}
    </Badge>
  );
}

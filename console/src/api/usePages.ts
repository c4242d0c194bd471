// A list that pages on the server with the API's cursors (`next_cursor`): the cursors of the
// pages seen so far are kept, so Previous goes back without asking for offsets.
import { useCallback, useEffect, useState } from "react";
import { asProblem, type Problem } from "./problems";

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

export interface Pages<T> {
  items: T[];
  loading: boolean;
  problem: Problem | null;
  page: number;
  hasNext: boolean;
  next: () => void;
  previous: () => void;
  reload: () => void;
}

/** `load(cursor)` answers one page; `key` names the query (a new key starts at page 1). */
export function usePages<T>(load: (cursor: string | undefined) => Promise<Page<T>>, key: string): Pages<T> {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [answer, setAnswer] = useState<Page<T> | null>(null);
  const [loading, setLoading] = useState(true);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [tick, setTick] = useState(0);
  const page = cursors.length;
  const cursor = cursors[cursors.length - 1];

  useEffect(() => {
    setCursors([undefined]);
  }, [key]);

  useEffect(() => {
    const ended = new AbortController();
    setLoading(true);
    setProblem(null);
    load(cursor).then(
      (found) => {
        if (!ended.signal.aborted) {
          setAnswer(found);
          setLoading(false);
        }
      },
      (error: unknown) => {
        if (!ended.signal.aborted) {
          setProblem(asProblem(error));
          setAnswer(null);
          setLoading(false);
        }
      },
    );
    return () => {
      ended.abort();
    };
    // `load` is rebuilt every render; `key` says when its query changed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, cursor, tick]);

  const nextCursor = answer?.next_cursor ?? null;
  return {
    items: answer?.items ?? [],
    loading,
    problem,
    page,
    hasNext: nextCursor !== null,
    next: useCallback(() => {
      if (nextCursor !== null) setCursors((seen) => [...seen, nextCursor]);
    }, [nextCursor]),
    previous: useCallback(() => {
      setCursors((seen) => (seen.length > 1 ? seen.slice(0, -1) : seen));
    }, []),
    reload: useCallback(() => {
      setTick((n) => n + 1);
    }, []),
  };
}

// One read of a screen (a piece, a request): its answer, loading and problem, and reload.
import { useCallback, useEffect, useState } from "react";
import { asProblem, type Problem } from "../../api/problems";

export interface Loaded<T> {
  data: T | null;
  problem: Problem | null;
  reload: () => void;
}

/** `load()` answered for `key` (a new key reads again; `reload` too). */
export function useLoaded<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const ended = new AbortController();
    setProblem(null);
    load().then(
      (found) => {
        if (!ended.signal.aborted) setData(found);
      },
      (error: unknown) => {
        if (!ended.signal.aborted) {
          setData(null);
          setProblem(asProblem(error));
        }
      },
    );
    return () => {
      ended.abort();
    };
    // `load` is rebuilt every render; `key` and `tick` say when to read again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, tick]);
  return {
    data,
    problem,
    reload: useCallback(() => {
      setTick((n) => n + 1);
    }, []),
  };
}

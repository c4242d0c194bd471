// Who is signed in: the person, its institution's on-chain status and roles, and the
// consortium's members (addresses to names). A 401 from any call ends the session here
// and sends the user to sign in with the reason.
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
  type ReactNode,
} from "react";
import {
  api,
  csrf,
  whenUnauthenticated,
  type Member,
  type ParticipantStatus,
  type Person,
} from "../api/client";
import { must, ProblemError, type Problem } from "../api/problems";

export interface SignedIn {
  person: Person;
  /** Null until the password is changed (the API answers nothing else before). */
  participant: ParticipantStatus | null;
  members: Member[];
}

export interface Credentials {
  participant: string;
  username: string;
  password: string;
  code?: string;
}

interface SessionValue {
  /** undefined: still asking the gateway; null: signed out. */
  current: SignedIn | null | undefined;
  /** Why the user was sent to sign in (a problem type slug), if not by their own act. */
  endedBy: string | null;
  signIn: (credentials: Credentials) => Promise<void>;
  signOut: () => Promise<void>;
  changePassword: (current: string, next: string) => Promise<void>;
  /** The member's name for an address (its address if unknown). */
  nameOf: (address: string | null | undefined) => string;
}

const Context = createContext<SessionValue | null>(null);

async function load(person: Person): Promise<SignedIn> {
  if (person.must_change_password) {
    return { person, participant: null, members: [] };
  }
  const [participant, members] = await Promise.all([
    api
      .GET("/v1/participants/{name}", { params: { path: { name: person.participant } } })
      .then(must),
    api.GET("/v1/members").then(must),
  ]);
  return { person, participant, members };
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [current, setCurrent] = useState<SignedIn | null | undefined>(undefined);
  const [endedBy, setEndedBy] = useState<string | null>(null);

  useEffect(() => {
    whenUnauthenticated((type) => {
      // Only a tab that signed in (it holds a CSRF token) was sent away: say why.
      if (csrf.get() !== null) {
        csrf.clear();
        setEndedBy(type.split("/").pop() || "session-expired");
      }
      setCurrent(null);
    });
    const ended = new AbortController();
    const live = () => !ended.signal.aborted;
    void (async () => {
      const me = await api.GET("/v1/auth/me");
      if (!live()) return;
      if (me.data === undefined || csrf.get() === null) {
        // No session, or one this tab cannot write with (its CSRF token is gone).
        setCurrent(null);
        return;
      }
      try {
        const signed = await load(me.data);
        if (live()) setCurrent(signed);
      } catch {
        if (live()) setCurrent(null);
      }
    })();
    return () => {
      ended.abort();
    };
  }, []);

  const signIn = useCallback(async (credentials: Credentials) => {
    const answer = await api.POST("/v1/auth/login", { body: credentials });
    const signed = must(answer);
    csrf.set(signed.csrf_token);
    setEndedBy(null);
    setCurrent(await load(signed.person));
  }, []);

  const signOut = useCallback(async () => {
    await api.POST("/v1/auth/logout").catch(() => undefined);
    csrf.clear();
    setEndedBy(null);
    setCurrent(null);
  }, []);

  const changePassword = useCallback(async (currentPassword: string, next: string) => {
    const answer = await api.POST("/v1/auth/password", {
      body: { current_password: currentPassword, new_password: next },
    });
    if (!answer.response.ok) {
      throw new ProblemError(answer.error as Problem);
    }
    const me = must(await api.GET("/v1/auth/me"));
    setCurrent(await load(me));
  }, []);

  const value = useMemo<SessionValue>(() => {
    const names = new Map(current?.members.map((m) => [m.address.toLowerCase(), m.name]));
    return {
      current,
      endedBy,
      signIn,
      signOut,
      changePassword,
      nameOf: (address) =>
        address ? (names.get(address.toLowerCase()) ?? address) : "—",
    };
  }, [current, endedBy, signIn, signOut, changePassword]);
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(Context);
  if (value === null) {
    throw new Error("useSession outside SessionProvider");
  }
  return value;
}

/** The signed-in person (inside the shell only). */
export function useSignedIn(): SignedIn {
  const { current } = useSession();
  if (!current) {
    throw new Error("useSignedIn outside the signed-in shell");
  }
  return current;
}

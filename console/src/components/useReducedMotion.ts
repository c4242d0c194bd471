// Whether the person asked their system for less motion (`prefers-reduced-motion`), kept
// current when they change it. The console then turns Ant Design's motion off: dialogs,
// messages and menus appear and leave at once instead of zooming and fading.
import { useEffect, useState } from "react";

const QUERY = "(prefers-reduced-motion: reduce)";

export function useReducedMotion(): boolean {
  const [reduced, setReduced] = useState(() => window.matchMedia(QUERY).matches);
  useEffect(() => {
    const query = window.matchMedia(QUERY);
    const changed = () => {
      setReduced(query.matches);
    };
    query.addEventListener("change", changed);
    return () => {
      query.removeEventListener("change", changed);
    };
  }, []);
  return reduced;
}

// Data that follows the cluster: read once, read again when a watch event concerns it.
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, Change, Json, get, onChange, onProblem } from "./api";

export function useLive(path: string, concerns: (change: Change, data: Json | null) => boolean) {
  const [data, setData] = useState<Json | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const busy = useRef(false);
  const again = useRef(false);
  const latest = useRef<Json | null>(null);
  const concernsRef = useRef(concerns);
  concernsRef.current = concerns;

  const load = useCallback(async () => {
    if (busy.current) {
      again.current = true; // a read is under way: read once more after it, not once per event
      return;
    }
    busy.current = true;
    try {
      do {
        again.current = false;
        try {
          const body = await get(path);
          latest.current = body;
          setData(body);
          setError(null);
        } catch (e) {
          setError(e as ApiError);
        }
      } while (again.current);
    } finally {
      busy.current = false;
    }
  }, [path]);

  useEffect(() => {
    latest.current = null;
    setData(null);
    load();
    return onChange((change) => {
      if (concernsRef.current(change, latest.current)) load();
    });
  }, [load]);

  return { data, error, reload: load };
}

export function useProblem(): string | null {
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => onProblem(setProblem), []);
  return problem;
}

export function useHash(): string {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const update = () => setHash(window.location.hash);
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return hash;
}

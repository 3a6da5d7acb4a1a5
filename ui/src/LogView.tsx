// A log read on the server over ssh, line by line as it arrives (fetch, not EventSource,
// so a refusal before the stream starts shows the backend's message). A followed log
// whose stream ends or fails (the server still provisioning, unreachable a moment, the
// container restarted) is read again after a pause, replacing what was shown, until
// the person closes it; a refusal (400, 401, 403) is final.
import { useEffect, useRef, useState } from "react";
import { ApiError, appUrl } from "./api";
import { ErrorBox } from "./App";

const MAX_LINES = 5000;
const RETRY_MS = 5000;
const FINAL = new Set([400, 401, 403]);

export function LogView({ app, namespace, service, build }: { app: string; namespace: string | null; service: string | null; build: boolean }) {
  const [lines, setLines] = useState<string[]>([]);
  const [end, setEnd] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [attempt, setAttempt] = useState(0);
  const box = useRef<HTMLPreElement>(null);

  useEffect(() => setAttempt(0), [app, namespace, service, build]);

  useEffect(() => {
    const abort = new AbortController();
    let fresh = attempt > 0; // a retry replaces the lines with what the new read brings
    let retry: ReturnType<typeof setTimeout> | undefined;
    const again = () => {
      if (!abort.signal.aborted) retry = setTimeout(() => setAttempt((n) => n + 1), RETRY_MS);
    };
    if (attempt === 0) {
      setLines([]);
      setEnd(null);
      setError(null);
    }
    const query: Record<string, string> = { follow: "1", tail: build ? "" : "500", build: build ? "1" : "0" };
    if (service) query.service = service;
    (async () => {
      const response = await fetch(appUrl(app, namespace, "/logs", query), { signal: abort.signal });
      if (!response.ok || !response.body) {
        const body = await response.json().catch(() => ({}));
        setError(new ApiError(response.status, body.error ?? `HTTP ${response.status}`));
        if (!FINAL.has(response.status)) again();
        return;
      }
      setError(null);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        const events = buffer.split("\n\n");
        buffer = events.pop() ?? "";
        const arrived: string[] = [];
        for (const raw of events) {
          const kind = raw.match(/^event: (\w+)/m)?.[1];
          const data = raw.match(/^data: (.*)$/m)?.[1];
          if (!kind || data === undefined) continue;
          const event = JSON.parse(data);
          if (kind === "line") arrived.push(event.line);
          if (kind === "end") setEnd(event.end);
        }
        if (arrived.length) {
          const replace = fresh;
          fresh = false;
          setEnd(null);
          setLines((old) => [...(replace ? [] : old), ...arrived].slice(-MAX_LINES));
        }
      }
      again(); // followed: the stream ended (a server unreachable, a container restarted), read it again
    })().catch((e) => {
      if (!abort.signal.aborted) {
        setError(new ApiError(0, `the log stream broke: ${e}`));
        again();
      }
    });
    return () => {
      abort.abort();
      clearTimeout(retry);
    };
  }, [app, namespace, service, build, attempt]);

  useEffect(() => {
    if (box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines]);

  return (
    <div className="log">
      <ErrorBox error={error} />
      <pre ref={box} data-testid={build ? "build-log" : "service-log"}>{lines.join("\n")}</pre>
      {end && <p className="muted" data-testid="log-end">{end}</p>}
    </div>
  );
}

// A log read on the server over ssh, line by line as it arrives (fetch, not EventSource,
// so a refusal before the stream starts shows the backend's message).
import { useEffect, useRef, useState } from "react";
import { ApiError, appUrl } from "./api";
import { ErrorBox } from "./App";

const MAX_LINES = 5000;

export function LogView({ app, namespace, service, build }: { app: string; namespace: string | null; service: string | null; build: boolean }) {
  const [lines, setLines] = useState<string[]>([]);
  const [end, setEnd] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const box = useRef<HTMLPreElement>(null);

  useEffect(() => {
    const abort = new AbortController();
    setLines([]);
    setEnd(null);
    setError(null);
    const query: Record<string, string> = { follow: "1", tail: build ? "" : "500", build: build ? "1" : "0" };
    if (service) query.service = service;
    (async () => {
      const response = await fetch(appUrl(app, namespace, "/logs", query), { signal: abort.signal });
      if (!response.ok || !response.body) {
        const body = await response.json().catch(() => ({}));
        setError(new ApiError(response.status, body.error ?? `HTTP ${response.status}`));
        return;
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        const events = buffer.split("\n\n");
        buffer = events.pop() ?? "";
        const fresh: string[] = [];
        for (const raw of events) {
          const kind = raw.match(/^event: (\w+)/m)?.[1];
          const data = raw.match(/^data: (.*)$/m)?.[1];
          if (!kind || data === undefined) continue;
          const event = JSON.parse(data);
          if (kind === "line") fresh.push(event.line);
          if (kind === "end") setEnd(event.end);
        }
        if (fresh.length) setLines((old) => [...old, ...fresh].slice(-MAX_LINES));
      }
    })().catch((e) => {
      if (!abort.signal.aborted) setError(new ApiError(0, `the log stream broke: ${e}`));
    });
    return () => abort.abort();
  }, [app, namespace, service, build]);

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

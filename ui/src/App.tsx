// Routes by the URL's hash: #/ lists the apps, #/apps/NAME/PANEL shows one.
import { useEffect, useState } from "react";
import { Json, get } from "./api";
import { useHash, useProblem } from "./live";
import { AppList } from "./AppList";
import { AppDetail } from "./AppDetail";

export function App() {
  const hash = useHash();
  const problem = useProblem();
  const [who, setWho] = useState<Json | null>(null);
  useEffect(() => {
    get("/api/whoami").then(setWho, () => setWho(null));
  }, []);
  const match = hash.match(/^#\/(?:ns\/([^/]+)\/)?apps\/([^/]+)(?:\/(\w+))?/);
  return (
    <div className="page">
      <header>
        <a href="#/" className="brand">Hydron</a>
        {who && (
          <span className="who" data-testid="identity">
            {who.user} · {who.allNamespaces ? "all namespaces you may read" : `namespace ${who.namespace}`}
            {who.context ? ` · ${who.context}` : ""}
          </span>
        )}
      </header>
      {problem && <div className="banner warn" data-testid="live-problem">{problem}</div>}
      <main>
        {match ? (
          <AppDetail namespace={match[1] ? decodeURIComponent(match[1]) : null} name={decodeURIComponent(match[2])}
                     panel={match[3] ?? "runs"} />
        ) : <AppList />}
      </main>
    </div>
  );
}

export function ErrorBox({ error }: { error: { message: string; status?: number } | null }) {
  if (!error) return null;
  return (
    <div className="banner error" role="alert" data-testid="error">
      {error.status ? <strong>{error.status === 403 ? "Forbidden" : error.status === 404 ? "Not found" : error.status === 409 ? "Refused" : `Error ${error.status}`}: </strong> : null}
      {error.message}
    </div>
  );
}

export function State({ value }: { value: string | undefined | null }) {
  const v = value ?? "Unknown";
  const tone = /^(True|Succeeded|Healthy|Active)$/.test(v) ? "ok" : /^(False|Failed|Unhealthy)$/.test(v) ? "bad" : /^(Running|Building|Starting|Pending)$/.test(v) ? "busy" : "idle";
  return <span className={`state ${tone}`}>{v}</span>;
}

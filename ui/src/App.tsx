// Routes by the URL's hash: #/ lists the apps, #/apps/NAME/PANEL shows one.
import { useEffect, useState } from "react";
import { ApiError, Json, get, post } from "./api";
import { useHash, useProblem } from "./live";
import { AppList } from "./AppList";
import { AppDetail } from "./AppDetail";
import { Login } from "./Login";

export function App() {
  const hash = useHash();
  const [who, setWho] = useState<Json | null>(null);
  const [whoError, setWhoError] = useState<ApiError | null>(null);
  useEffect(() => {
    get("/api/whoami").then((w) => { setWho(w); setWhoError(null); }, (e) => { setWho(null); setWhoError(e); });
  }, []);
  if (whoError?.status === 401) {
    // After the login the page starts afresh, its live updates with the new cookie.
    return <div className="page"><main><Login reason={whoError.message} onLogin={() => window.location.reload()} /></main></div>;
  }
  return <Shell who={who} hash={hash} onLogout={() => post("/api/logout", {}).finally(() => window.location.reload())} />;
}

// The page, read at once (not after asking who acts: that would delay the first paint).
function Shell({ who, hash, onLogout }: { who: Json | null; hash: string; onLogout: () => void }) {
  const problem = useProblem();
  const match = hash.match(/^#\/(?:ns\/([^/]+)\/)?apps\/([^/]+)(?:\/(\w+))?/);
  return (
    <div className="page">
      <header>
        <a href="#/" className="brand">Hydron</a>
        {who && (
          <span className="who" data-testid="identity">
            {who.user} · {who.allNamespaces ? "all namespaces you may read" : `namespace ${who.namespace}`}
            {who.context ? ` · ${who.context}` : ""}
            {who.inCluster && <> · <button onClick={onLogout} data-testid="logout">Log out</button></>}
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

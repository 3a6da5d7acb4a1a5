// One application: its panels share one live read of the app and its plan, server and deployment.
import { Change, Json, appHref, appUrl } from "./api";
import { useLive } from "./live";
import { ErrorBox, State } from "./App";
import { Runs } from "./Runs";
import { Infrastructure } from "./Infrastructure";
import { Chat } from "./Chat";
import { Services } from "./Services";

const PANELS: [string, string][] = [["runs", "Runs"], ["infra", "Infrastructure"], ["chat", "Chat"], ["services", "Services"]];

function concerns(name: string, namespace: string | null) {
  return (change: Change, data: Json | null) => {
    if (namespace && change.namespace && change.namespace !== namespace) return false;
    if (change.kind === "Event") return change.name === data?.deployment?.name || change.name === data?.server?.name;
    return change.app === name || change.name === name || (change.kind === "Server" && change.name === data?.server?.name);
  };
}

export function AppDetail({ name, namespace, panel }: { name: string; namespace: string | null; panel: string }) {
  const { data, error, reload } = useLive(appUrl(name, namespace), concerns(name, namespace));
  return (
    <section>
      <p><a href="#/">← Applications</a></p>
      <h1>
        {namespace && <span className="muted">{namespace}/</span>}{name} {data && <State value={data.ready.status} />}{" "}
        {data?.ready.reason && <span className="muted" data-testid="app-reason">{data.ready.reason}</span>}
      </h1>
      {data?.ready.message && <p className="muted">{data.ready.message}</p>}
      {data?.url && <p>URL: <a href={data.url} target="_blank" rel="noreferrer">{data.url}</a></p>}
      <nav className="tabs">
        {PANELS.map(([key, label]) => (
          <a key={key} href={appHref(name, namespace, key)} className={panel === key ? "active" : ""}
             data-testid={`tab-${key}`}>{label}</a>
        ))}
      </nav>
      <ErrorBox error={error} />
      {!data ? (!error && <p className="muted">Loading…</p>) : (
        <div data-testid={`panel-${panel}`}>
          {panel === "runs" && <Runs app={data} />}
          {panel === "infra" && <Infrastructure app={data} reload={reload} />}
          {panel === "chat" && <Chat app={data} reload={reload} />}
          {panel === "services" && <Services app={data} />}
        </div>
      )}
    </section>
  );
}

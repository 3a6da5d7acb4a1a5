// Every app in the namespace, live: Ready, reason, URL, server, last release.
import { Json } from "./api";
import { useLive } from "./live";
import { ErrorBox, State } from "./App";

const LISTED = new Set(["Application", "InfraPlan", "Deployment"]);

export function AppList() {
  const { data, error } = useLive("/api/apps", (change) => LISTED.has(change.kind));
  if (!data) return error ? <ErrorBox error={error} /> : <p className="muted">Loading applications…</p>;
  const items: Json[] = data.items;
  return (
    <section>
      <h1>Applications <span className="muted">in {data.namespace}</span></h1>
      <ErrorBox error={error} />
      {items.length === 0 ? (
        <p className="muted" data-testid="no-apps">No Hydron applications in namespace {data.namespace} yet.</p>
      ) : (
        <table className="grid" data-testid="app-list">
          <thead>
            <tr><th>Name</th><th>Ready</th><th>Reason</th><th>Plan</th><th>Server</th><th>URL</th><th>Last release</th></tr>
          </thead>
          <tbody>
            {items.map((row) => (
              <tr key={row.name} data-testid={`app-row-${row.name}`}>
                <td><a href={`#/apps/${encodeURIComponent(row.name)}/runs`}>{row.name}</a></td>
                <td data-testid="ready"><State value={row.ready} /></td>
                <td data-testid="reason" title={row.reasonMessage}>{row.reason}</td>
                <td>{row.plan}</td>
                <td>{row.server ?? ""}</td>
                <td>{row.url ? <a href={row.url} target="_blank" rel="noreferrer">{row.url}</a> : ""}</td>
                <td>{row.lastRelease ? <>#{row.lastRelease.number} <State value={row.lastRelease.state} /></> : "none"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

// Every app in the namespaces the user may read (or the one asked for), live: Ready,
// reason, URL, server, last release.
import { Json, appHref } from "./api";
import { useLive } from "./live";
import { ErrorBox, State } from "./App";

const LISTED = new Set(["Application", "InfraPlan", "Deployment"]);

export function AppList() {
  const { data, error } = useLive("/api/apps", (change) => LISTED.has(change.kind));
  if (!data) return error ? <ErrorBox error={error} /> : <p className="muted">Loading applications…</p>;
  const items: Json[] = data.items;
  const everywhere: boolean = data.allNamespaces;
  const where = everywhere ? "in all namespaces you may read" : `in ${data.namespace}`;
  return (
    <section>
      <h1>Applications <span className="muted">{where}</span></h1>
      {data.note && <div className="banner warn" data-testid="list-note">{data.note}</div>}
      <ErrorBox error={error} />
      {items.length === 0 ? (
        <p className="muted" data-testid="no-apps">No Hydron applications {where} yet.</p>
      ) : (
        <table className="grid" data-testid="app-list">
          <thead>
            <tr>{everywhere && <th>Namespace</th>}<th>Name</th><th>Ready</th><th>Reason</th><th>Plan</th><th>Server</th><th>URL</th><th>Last release</th></tr>
          </thead>
          <tbody>
            {items.map((row) => (
              <tr key={`${row.namespace}/${row.name}`} data-testid={`app-row-${row.name}`} data-namespace={row.namespace}>
                {everywhere && <td>{row.namespace}</td>}
                <td><a href={appHref(row.name, everywhere ? row.namespace : null)}>{row.name}</a></td>
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

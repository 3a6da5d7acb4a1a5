// The Runs panel: the server's provisioning steps as they change, the build log, the
// rollout events Hydron posted on the Deployment, the releases.
import { useState } from "react";
import { ApiError, Json, appUrl, post } from "./api";
import { ErrorBox, State } from "./App";
import { LogView } from "./LogView";

function duration(step: Json): string {
  if (!step.startedAt) return "";
  const end = step.finishedAt ? Date.parse(step.finishedAt) : Date.now();
  const seconds = Math.max(0, Math.round((end - Date.parse(step.startedAt)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86400)}d ${Math.floor((seconds % 86400) / 3600)}h`;
}

export function Runs({ app }: { app: Json }) {
  const server = app.server;
  const deployment = app.deployment;
  const [showBuild, setShowBuild] = useState(false);
  const [service, setService] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [note, setNote] = useState<string | null>(null);

  async function rollback(release: number | null) {
    setError(null);
    setNote(null);
    try {
      setNote((await post(appUrl(app.name, app.namespace, "/rollback"), { release })).message);
    } catch (e) {
      setError(e as ApiError);
    }
  }

  return (
    <>
      <h2>Server {server ? <>{server.name} {server.ready && <State value={server.ready.status} />}</> : ""}</h2>
      {!server ? <p className="muted">No server chosen yet.</p> : !server.found ? (
        <p className="muted">Server {server.name} does not exist (yet) in this namespace.</p>
      ) : (
        <table className="grid" data-testid="steps">
          <thead><tr><th>Step</th><th>State</th><th>Time</th><th>Message</th></tr></thead>
          <tbody>
            {server.steps.map((s: Json) => (
              <tr key={s.name} data-testid={`step-${s.name}`}>
                <td>{s.name}</td><td><State value={s.state} /></td><td>{duration(s)}</td><td>{s.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Build</h2>
      {!deployment ? <p className="muted">Not deployed yet: a build starts once the plan is approved and the server is ready.</p> : (
        <>
          <p>
            <select value={service ?? ""} onChange={(e) => setService(e.target.value || null)} data-testid="build-service">
              <option value="">default service</option>
              {(deployment.serviceNames ?? []).map((n: string) => <option key={n} value={n}>{n}</option>)}
            </select>{" "}
            <button onClick={() => setShowBuild(!showBuild)} data-testid="toggle-build-log">
              {showBuild ? "Hide build log" : "Show build log"}
            </button>
          </p>
          {showBuild && <LogView app={app.name} namespace={app.namespace} service={service} build />}
        </>
      )}
      {deployment && (
        <>
          <h2>Rollout events</h2>
          {deployment.events?.problem && <p className="muted" data-testid="events-problem">{deployment.events.problem}</p>}
          {!deployment.events?.items?.length ? (!deployment.events?.problem && <p className="muted">No events yet.</p>) : (
            <table className="grid" data-testid="rollout-events">
              <thead><tr><th>When</th><th>Type</th><th>Reason</th><th>Message</th></tr></thead>
              <tbody>
                {deployment.events.items.map((e: Json, i: number) => (
                  <tr key={i} className={e.type === "Warning" ? "warning" : ""}>
                    <td>{e.at}</td><td>{e.type}</td><td>{e.reason}{e.count > 1 ? ` ×${e.count}` : ""}</td><td>{e.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
      <h2>Releases</h2>
      <ErrorBox error={error} />
      {note && <div className="banner ok" data-testid="rollback-note">{note}</div>}
      {deployment?.rollbackTo && (
        <p>Pinned to release {deployment.rollbackTo}. <button onClick={() => rollback(null)}>Follow new commits again</button></p>
      )}
      {!deployment || deployment.releases.length === 0 ? <p className="muted">No releases yet.</p> : (
        <table className="grid" data-testid="releases">
          <thead><tr><th>#</th><th>State</th><th>Commit</th><th>Started</th><th>Message</th><th></th></tr></thead>
          <tbody>
            {[...deployment.releases].reverse().map((r: Json) => (
              <tr key={r.number} data-testid={`release-${r.number}`}>
                <td>{r.number}</td><td><State value={r.state} /></td><td><code>{(r.sourceRevision ?? "").slice(0, 12)}</code></td>
                <td>{r.createdAt ?? ""}</td><td>{r.message ?? ""}</td>
                <td>{(r.state === "Superseded" || r.state === "RolledBack") && (
                  <button onClick={() => rollback(r.number)} data-testid={`rollback-${r.number}`}>Roll back to this</button>
                )}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

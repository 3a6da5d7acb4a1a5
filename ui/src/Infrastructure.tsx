// The Infrastructure panel: the plan as a person reads it, and approval of exactly the shown revision.
import { useState } from "react";
import { ApiError, Json, appUrl, post } from "./api";
import { ErrorBox, State } from "./App";
import { RevisionDiff } from "./RevisionDiff";

function Env({ env }: { env: Json[] }) {
  if (!env?.length) return <span className="muted">none</span>;
  return (
    <ul className="env">
      {env.map((v) => (
        <li key={v.name}>
          <code>{v.name}</code> ={" "}
          {v.secretRef ? <span className="ref" data-testid="secret-ref">from Secret {v.secretRef.name} key {v.secretRef.key}</span>
            : v.withheld ? <span className="muted">(secret, not shown)</span> : <code>{v.value ?? ""}</code>}
        </li>
      ))}
    </ul>
  );
}

export function Infrastructure({ app, reload }: { app: Json; reload: () => void }) {
  const plan = app.planView;
  const [error, setError] = useState<ApiError | null>(null);
  const [note, setNote] = useState<string | null>(null);
  if (!plan) return <p className="muted">No plan yet: Hydron makes one once the source is analysed.</p>;
  const server = plan.server;
  const shown = plan.revision;

  async function approve() {
    setError(null);
    setNote(null);
    try {
      setNote((await post(appUrl(app.name, app.namespace, "/approve"), { revision: shown })).message);
    } catch (e) {
      setError(e as ApiError);
    }
    reload();
  }

  return (
    <>
      <h2 data-testid="plan-heading">
        Plan {plan.name}, revision {shown ?? "none yet"} <span className="muted">({plan.approval})</span>
      </h2>
      <ErrorBox error={error} />
      {note && <div className="banner ok" data-testid="approve-note">{note}</div>}
      {shown != null && plan.approvedRevision !== shown && (
        <p><button className="primary" onClick={approve} data-testid="approve">Approve revision {shown}</button></p>
      )}
      {plan.changes.length > 0 && (
        <>
          <h3>What changed in revision {shown}</h3>
          <ul data-testid="plan-changes">{plan.changes.map((c: string) => <li key={c}>{c}</li>)}</ul>
        </>
      )}
      <RevisionDiff app={app} plan={plan} />
      {plan.pendingEdits.length > 0 && (
        <><h3>Edited since, not yet a revision</h3><ul>{plan.pendingEdits.map((c: string) => <li key={c}>{c}</li>)}</ul></>
      )}
      <h3>Server</h3>
      <dl className="facts" data-testid="plan-server">
        {server.serverRef && <><dt>Existing server</dt><dd>{server.serverRef.name}</dd></>}
        {server.offer && <><dt>Offer</dt><dd>{[server.provider, server.offer].filter(Boolean).join(" / ")}</dd></>}
        {server.monthlyPrice != null && <><dt>Price</dt><dd>{Number(server.monthlyPrice).toFixed(2)} EUR/month{server.pricesAsOf ? ` (as of ${server.pricesAsOf})` : ""}</dd></>}
        {server.location && <><dt>Location</dt><dd>{server.location}</dd></>}
        {server.cpus && <><dt>Size</dt><dd>{server.cpus} vCPU, {server.memoryMiB} MiB RAM, {server.diskGiB} GiB disk</dd></>}
        {server.rationale && <><dt>Why</dt><dd>{server.rationale}</dd></>}
      </dl>
      <h3>Services</h3>
      {plan.services.map((s: Json) => (
        <div className="card" key={s.name} data-testid={`plan-service-${s.name}`}>
          <strong>{s.name}</strong> <span className="muted">{s.role ?? "web"}{s.runtime ? ` · ${s.runtime}` : ""}</span>
          <dl className="facts">
            {s.image && <><dt>Image</dt><dd><code>{s.image}</code></dd></>}
            {s.port && <><dt>Port</dt><dd>{s.port}{s.public ? " (public)" : ""}</dd></>}
            {s.healthCheck && <><dt>Health check</dt><dd>{s.healthCheck.command?.length ? s.healthCheck.command.join(" ") : s.healthCheck.path ? `HTTP ${s.healthCheck.path}` : "TCP connect"}</dd></>}
            {s.startCommand && <><dt>Start</dt><dd><code>{s.startCommand}</code></dd></>}
            <dt>Env</dt><dd><Env env={s.env} /></dd>
          </dl>
          {s.dockerfile && (
            <details><summary>Dockerfile ({s.dockerfileOrigin === "Repository" ? "the repository's" : "generated"})</summary><pre>{s.dockerfile}</pre></details>
          )}
        </div>
      ))}
      <h3>Routes</h3>
      {plan.routes.length === 0 ? <p className="muted">none</p> : (
        <table className="grid" data-testid="plan-routes"><tbody>
          {plan.routes.map((r: Json) => <tr key={`${r.domain}${r.path ?? "/"}`}><td>{r.domain}{r.path ?? "/"}</td><td>→ {r.service}:{r.port}</td><td>{r.tls ?? "acme"}</td></tr>)}
        </tbody></table>
      )}
      <h3>Firewall</h3>
      <p>Default {plan.security.firewallDefault ?? "deny"}; open: SSH {plan.security.sshPort ?? 22}/tcp, HTTP 80, HTTPS 443.</p>
      {plan.firewall.length > 0 && (
        <ul>{plan.firewall.map((f: Json) => <li key={`${f.port}/${f.protocol}`}>{f.port}/{f.protocol ?? "tcp"} from {f.source ?? "0.0.0.0/0"}{f.reason ? ` — ${f.reason}` : ""}</li>)}</ul>
      )}
      <h3>Findings</h3>
      {plan.findings.length === 0 ? <p className="muted">none</p> : (
        <ul data-testid="plan-findings">{plan.findings.map((f: Json, i: number) => (
          <li key={i}><State value={f.severity === "Error" ? "Failed" : f.severity} /> {f.field ? <code>{f.field}</code> : null} {f.message}</li>
        ))}</ul>
      )}
    </>
  );
}

// The Services panel: state, restarts, CPU and memory of each service, and its log followed live.
import { useState } from "react";
import { Json } from "./api";
import { State } from "./App";
import { LogView } from "./LogView";

export function Services({ app }: { app: Json }) {
  const deployment = app.deployment;
  const [following, setFollowing] = useState<string | null>(null);
  if (!deployment) return <p className="muted">Not deployed yet.</p>;
  return (
    <>
      <h2>Services</h2>
      <table className="grid" data-testid="services">
        <thead><tr><th>Service</th><th>State</th><th>Restarts</th><th>CPU</th><th>Memory</th><th></th></tr></thead>
        <tbody>
          {deployment.services.map((s: Json) => (
            <tr key={s.name} data-testid={`service-${s.name}`}>
              <td>{s.name}</td><td><State value={s.state} /></td><td>{s.restarts ?? "-"}</td>
              <td>{s.cpuPercent != null ? `${s.cpuPercent}%` : "-"}</td>
              <td>{s.memoryMiB != null ? `${s.memoryMiB} MiB` : "-"}</td>
              <td><button onClick={() => setFollowing(following === s.name ? null : s.name)} data-testid={`logs-${s.name}`}>
                {following === s.name ? "Stop following" : "Follow logs"}</button></td>
            </tr>
          ))}
        </tbody>
      </table>
      {following && <LogView app={app.name} namespace={app.namespace} service={following} build={false} />}
    </>
  );
}

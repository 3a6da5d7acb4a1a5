// Any two kept revisions of the plan side by side: what differs between them.
import { useEffect, useState } from "react";
import { ApiError, Json, appUrl, get } from "./api";
import { ErrorBox } from "./App";

export function RevisionDiff({ app, plan }: { app: Json; plan: Json }) {
  const kept: Json[] = plan.revisions ?? [];
  const numbers = kept.map((r) => r.revision as number);
  const latest = numbers[numbers.length - 1];
  const [from, setFrom] = useState<number | null>(null);
  const [to, setTo] = useState<number | null>(null);
  const [diff, setDiff] = useState<Json | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const before = from ?? numbers[numbers.length - 2] ?? null;
  const after = to ?? latest ?? null;

  useEffect(() => {
    if (before == null || after == null) return;
    let current = true;
    get(appUrl(app.name, app.namespace, "/plan-diff", { from: String(before), to: String(after) })).then(
      (body) => { if (current) { setDiff(body); setError(null); } },
      (e) => { if (current) { setDiff(null); setError(e); } });
    return () => { current = false; };
  }, [app.name, app.namespace, before, after, plan.revision]);

  if (numbers.length < 2) return null;
  const pick = (value: number | null, set: (n: number) => void, testid: string) => (
    <select value={value ?? ""} onChange={(e) => set(Number(e.target.value))} data-testid={testid}>
      {kept.map((r) => <option key={r.revision} value={r.revision}>revision {r.revision}</option>)}
    </select>
  );
  return (
    <>
      <h3>Compare revisions</h3>
      <p>From {pick(before, setFrom, "diff-from")} to {pick(after, setTo, "diff-to")}</p>
      <ErrorBox error={error} />
      {diff && (diff.changes.length === 0 ? <p className="muted" data-testid="revision-diff">No material difference.</p> : (
        <ul data-testid="revision-diff">{diff.changes.map((c: string) => <li key={c}>{c}</li>)}</ul>
      ))}
      <details>
        <summary>Why each kept revision was made</summary>
        <ul>{kept.map((r) => <li key={r.revision}>{r.why || `revision ${r.revision}`}{r.revisedAt ? ` (${r.revisedAt})` : ""}</li>)}</ul>
      </details>
    </>
  );
}

// In the cluster (Helm's ui.enabled) a person logs in with a Kubernetes bearer token; the
// server checks it with the API server and keeps it under an HttpOnly cookie.
import { useState } from "react";
import { ApiError, post } from "./api";
import { ErrorBox } from "./App";

export function Login({ reason, onLogin }: { reason: string; onLogin: () => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await post("/api/login", { token });
      setToken("");
      onLogin();
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="login">
      <h1>Log in to Hydron</h1>
      <p className="muted">{reason}</p>
      <p className="muted">
        Paste a Kubernetes bearer token, e.g. from <code>kubectl create token NAME</code>. Hydron asks the API server
        who it belongs to, and what you may see and do.
      </p>
      <ErrorBox error={error} />
      <form onSubmit={submit}>
        <textarea value={token} onChange={(e) => setToken(e.target.value)} rows={4} autoComplete="off"
                  spellCheck={false} data-testid="login-token" />
        <p><button className="primary" disabled={busy || !token.trim()} data-testid="login">Log in</button></p>
      </form>
    </section>
  );
}

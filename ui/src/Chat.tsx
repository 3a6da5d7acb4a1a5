// The chat: change requests in plain words, each with the planner's stored reply.
import { useState } from "react";
import { ApiError, Json, appUrl, post } from "./api";
import { ErrorBox } from "./App";

export function Chat({ app, reload }: { app: Json; reload: () => void }) {
  const plan = app.planView;
  const [text, setText] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [sending, setSending] = useState(false);
  if (!plan) return <p className="muted">No plan yet: requests can be made once Hydron has made one.</p>;

  async function send(event: React.FormEvent) {
    event.preventDefault();
    setError(null);
    setSending(true);
    try {
      await post(appUrl(app.name, app.namespace, "/change-requests"), { message: text });
      setText("");
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setSending(false);
    }
    reload();
  }

  return (
    <>
      <h2>Ask for changes to the plan <span className="muted">(now at revision {plan.revision ?? "none"})</span></h2>
      <ol className="chat" data-testid="chat">
        {plan.chat.map((entry: Json) => (
          <li key={entry.number} data-testid={`chat-${entry.number}`}>
            <div className="bubble me"><strong>{entry.author ?? "someone"}:</strong> {entry.message}</div>
            {entry.reply && (
              <div className="bubble reply" data-testid="reply">
                <strong>Hydron:</strong> {entry.reply.summary}
                {entry.reply.declined?.length > 0 && <ul>{entry.reply.declined.map((d: string) => <li key={d}>Declined: {d}</li>)}</ul>}
                {entry.reply.notApplied?.length > 0 && <ul>{entry.reply.notApplied.map((d: string) => <li key={d}>Not applied: {d}</li>)}</ul>}
              </div>
            )}
            {entry.state === "NoAssistant" && <div className="bubble reply muted" data-testid="no-assistant">{entry.note}</div>}
            {entry.state === "Waiting" && <div className="bubble reply muted" data-testid="waiting">Waiting for Hydron to revise the plan…</div>}
          </li>
        ))}
      </ol>
      {plan.changes.length > 0 && (
        <p className="muted">Revision {plan.revision} changed: {plan.changes.join("; ")}</p>
      )}
      {plan.assistantProblem && (
        <div className="banner warn" data-testid="no-llm">
          Requests are recorded on the plan, but no model reads them now: {plan.assistantProblem}
        </div>
      )}
      <ErrorBox error={error} />
      <form onSubmit={send} className="ask">
        <textarea value={text} onChange={(e) => setText(e.target.value)} maxLength={4000} rows={3}
                  placeholder="e.g. use a server in Helsinki" data-testid="chat-input" />
        <button className="primary" disabled={sending || !text.trim()} data-testid="chat-send">Send</button>
      </form>
    </>
  );
}

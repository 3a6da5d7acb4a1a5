// The backend's JSON API and its server-sent events. Every failure carries the
// backend's message (forbidden, not found, plan changed, server unreachable).

export type Json = Record<string, any>;

export class ApiError extends Error {
  status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

async function answer(response: Response): Promise<Json> {
  let body: Json = {};
  try {
    body = await response.json();
  } catch {
    body = { error: `the server answered ${response.status} ${response.statusText} without a message` };
  }
  if (!response.ok) throw new ApiError(response.status, body.error ?? `HTTP ${response.status}`);
  return body;
}

export async function get(path: string): Promise<Json> {
  try {
    return await answer(await fetch(path, { headers: { Accept: "application/json" } }));
  } catch (error) {
    throw asApiError(error);
  }
}

export async function post(path: string, body: Json): Promise<Json> {
  try {
    return await answer(
      await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }),
    );
  } catch (error) {
    throw asApiError(error);
  }
}

function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(0, `cannot reach the Hydron web server (is \`kubectl hydron ui\` still running?): ${error}`);
}

// An app's API address: its namespace travels along, so the list may span namespaces.
export function appUrl(name: string, namespace: string | null | undefined, suffix = "", params: Record<string, string> = {}): string {
  const query = new URLSearchParams(params);
  if (namespace) query.set("namespace", namespace);
  const text = query.toString();
  return `/api/apps/${encodeURIComponent(name)}${suffix}${text ? `?${text}` : ""}`;
}

// The page's address of an app's panel (the namespace is left out when there is none to name).
export function appHref(name: string, namespace: string | null | undefined, panel = "runs"): string {
  const app = `apps/${encodeURIComponent(name)}/${panel}`;
  return namespace ? `#/ns/${encodeURIComponent(namespace)}/${app}` : `#/${app}`;
}

export type Change = { kind: string; type: string; name: string; app?: string; namespace?: string; about?: string };
type Listener = (change: Change) => void;
type ProblemListener = (message: string | null) => void;

// One EventSource for the whole page, shared by every view that listens.
const listeners = new Set<Listener>();
const problemListeners = new Set<ProblemListener>();
let source: EventSource | null = null;

function connect(): void {
  if (source) return;
  source = new EventSource("/api/events");
  source.addEventListener("hello", () => problemListeners.forEach((l) => l(null)));
  source.addEventListener("change", (event) => {
    const change = JSON.parse((event as MessageEvent).data) as Change;
    listeners.forEach((l) => l(change));
  });
  source.addEventListener("problem", (event) => {
    const problem = JSON.parse((event as MessageEvent).data);
    problemListeners.forEach((l) => l(problem.message));
  });
  source.onerror = () => problemListeners.forEach((l) => l("live updates interrupted; reconnecting…"));
}

export function onChange(listener: Listener): () => void {
  connect();
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function onProblem(listener: ProblemListener): () => void {
  connect();
  problemListeners.add(listener);
  return () => problemListeners.delete(listener);
}

// A small API on the node-api template's stack: each GET / stores a note in Postgres
// (DATABASE_URL) and counts it in Redis (REDIS_URL); /healthz answers when both do.
const http = require("http");
const { Pool } = require("pg");
const { createClient } = require("redis");

const pool = new Pool({ connectionString: process.env.DATABASE_URL });
const redis = createClient({ url: process.env.REDIS_URL });
redis.on("error", (err) => console.error("redis:", err.message));

async function handle(req, res) {
  if (req.url === "/healthz") {
    await pool.query("SELECT 1");
    await redis.ping();
    return reply(res, 200, { ok: true });
  }
  if (req.url === "/") {
    await pool.query("CREATE TABLE IF NOT EXISTS notes (id serial PRIMARY KEY, at timestamptz DEFAULT now())");
    const { rows } = await pool.query("INSERT INTO notes DEFAULT VALUES RETURNING id");
    const hits = await redis.incr("hits");
    return reply(res, 200, { api: "node-api starter", note: rows[0].id, hits, env: process.env.NODE_ENV });
  }
  reply(res, 404, { error: "not found" });
}

function reply(res, code, body) {
  res.writeHead(code, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

redis.connect().then(() => {
  http.createServer((req, res) => handle(req, res).catch((err) => reply(res, 503, { error: err.message })))
    .listen(Number(process.env.PORT || 3000), () => console.log(`listening on ${process.env.PORT || 3000}`));
});

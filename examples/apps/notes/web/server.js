// The public side of the notes example: every visit asks the api service (API_URL,
// wired by Hydron to http://api:PORT) to count it in Postgres, and shows the answer.
const http = require("http");

const port = Number(process.env.PORT || 3000);
const api = process.env.API_URL || "http://localhost:8000";

async function countVisit() {
  const response = await fetch(`${api}/visits`, { method: "POST" });
  if (!response.ok) throw new Error(`api answered ${response.status}`);
  return response.json();
}

const server = http.createServer(async (req, res) => {
  if (req.url === "/health") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ status: "ok" }));
    return;
  }
  try {
    const visit = await countVisit();
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(
      `<!doctype html><title>notes</title>` +
        `<h1>Visit ${visit.visit}</h1>` +
        `<p>Counted in database ${visit.database} (visits stored: ${visit.stored}).</p>\n`,
    );
  } catch (error) {
    res.writeHead(502, { "content-type": "text/plain; charset=utf-8" });
    res.end(`the api did not count this visit: ${error.message}\n`);
  }
});

server.listen(port, () => console.log(`web listening on ${port}, api at ${api}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));

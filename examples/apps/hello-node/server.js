// A tiny web app for Hydron's demo: a page, and /health for the health check.
const http = require("http");

const port = Number(process.env.PORT || 3000);
const greeting = process.env.GREETING || "Hello from Hydron";

const server = http.createServer((req, res) => {
  if (req.url === "/health") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ status: "ok" }));
    return;
  }
  res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
  res.end(`<!doctype html><title>hello</title><h1>${greeting}</h1>\n`);
});

server.listen(port, () => console.log(`listening on ${port}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));

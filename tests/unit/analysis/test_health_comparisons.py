"""Hand-written routers (no framework) still get their health endpoint found."""

import pytest

from hydron.analysis import analyze

CASES = {
    "node-http": ("package.json", '{"name": "svc", "scripts": {"start": "node server.js"}}',
                  "server.js", 'require("http").createServer((req, res) => {\n  if (req.url === "/healthz") res.end("ok");\n}).listen(8080);\n'),
    "python-http-server": ("requirements.txt", "", "app.py",
                           "class H(BaseHTTPRequestHandler):\n    def do_GET(self):\n        if self.path == '/health':\n            pass\n\n"
                           "HTTPServer(('', int(os.environ.get('PORT', '8000'))), H).serve_forever()\n"),
    "go-switch": ("go.mod", "module example.com/svc\n\ngo 1.22\n", "main.go",
                  'package main\n\nfunc h(w http.ResponseWriter, r *http.Request) {\n\tswitch r.URL.Path {\n\tcase "/up":\n\t}\n}\n\n'
                  'func main() { http.ListenAndServe(":8080", http.HandlerFunc(h)) }\n'),
}
EXPECTED = {"node-http": "/healthz", "python-http-server": "/health", "go-switch": "/up"}


@pytest.mark.parametrize("case", list(CASES))
def test_path_comparison_is_a_health_route(tmp_path, case):
    manifest, manifest_text, source, source_text = CASES[case]
    (tmp_path / manifest).write_text(manifest_text)
    (tmp_path / source).write_text(source_text)
    services = analyze(tmp_path).services
    assert services and services[0].health_check is not None, services
    assert services[0].health_check.path == EXPECTED[case]
    assert services[0].health_check.evidence[0].file == source

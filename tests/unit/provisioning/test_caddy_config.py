from hydron.api.server import ProxySettings
from hydron.remote.builders import caddy_config

ROUTE = {"match": [{"host": ["shop.example.com"]}], "handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": "127.0.0.1:8001"}]}]}


def test_empty_caddy_gets_the_admin_endpoint_and_our_server():
    config = caddy_config.with_http(None)
    assert config == {
        "admin": {"listen": "localhost:2019"},
        "apps": {"http": {"servers": {"hydron": {"listen": [":80", ":443"], "routes": []}}}},
    }
    assert caddy_config.http_matches(config)
    assert not caddy_config.http_matches(None)


def test_merging_keeps_the_routes_deployments_added():
    running = {"apps": {"http": {"servers": {"hydron": {"listen": [":8080"], "routes": [ROUTE]}}}}}
    assert not caddy_config.http_matches(running)
    merged = caddy_config.with_http(running)
    assert merged["apps"]["http"]["servers"]["hydron"] == {"listen": [":80", ":443"], "routes": [ROUTE]}
    assert running["apps"]["http"]["servers"]["hydron"]["listen"] == [":8080"], "input left untouched"


def test_acme_issuer_from_spec():
    proxy = ProxySettings(acme_ca="https://ca.test:14000/dir", acme_email="ops@example.com")
    assert caddy_config.tls_app(proxy, "/etc/caddy/hydron-acme-root.pem") == {
        "automation": {"policies": [{"issuers": [{
            "module": "acme",
            "ca": "https://ca.test:14000/dir",
            "email": "ops@example.com",
            "trusted_roots_pem_files": ["/etc/caddy/hydron-acme-root.pem"],
        }]}]}
    }
    assert caddy_config.tls_app(ProxySettings(), None) is None


def test_tls_merge_sets_and_removes_only_apps_tls():
    with_routes = caddy_config.with_http({"apps": {"http": {"servers": {"hydron": {"routes": [ROUTE]}}}}})
    tls = caddy_config.tls_app(ProxySettings(acme_email="a@b.c"), None)
    merged = caddy_config.with_tls(with_routes, tls)
    assert caddy_config.tls_matches(merged, tls) and caddy_config.http_matches(merged)
    assert caddy_config.http_server(merged)["routes"] == [ROUTE]
    cleared = caddy_config.with_tls(merged, None)
    assert "tls" not in cleared["apps"] and caddy_config.tls_matches(cleared, None)

"""The suite's secret scan: which strings count as a Secret's value, and where they are found."""

import base64

from hydron_testbed.secret_scan import Hit, find_needles, grep_output_hits, secret_needles


def secret(data: dict[str, str], kind: str = "Opaque") -> dict:
    encoded = {key: base64.b64encode(value.encode()).decode() for key, value in data.items()}
    return {"type": kind, "metadata": {"namespace": "t-1", "name": "db"}, "data": encoded}


def test_each_line_of_a_private_key_is_a_needle_but_not_its_armour():
    pem = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nQyNTUxOQAAACBzZWNyZXQ\n-----END OPENSSH PRIVATE KEY-----\n"
    needles = secret_needles(secret({"ssh-privatekey": pem}))
    assert set(needles) == {"b3BlbnNzaC1rZXktdjEAAAAA", "QyNTUxOQAAACBzZWNyZXQ"}
    assert needles["QyNTUxOQAAACBzZWNyZXQ"] == "t-1/db[ssh-privatekey]"


def test_short_values_public_keys_and_certificates_are_not_needles():
    needles = secret_needles(secret({
        "user": "postgres", "port": "5432", "ca.crt": "CERTIFICATEBODYTEXT",
        "id.pub": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA", "password": "correct-horse-battery"}))
    assert set(needles) == {"correct-horse-battery"}


def test_service_account_tokens_and_binary_values_are_ignored():
    assert secret_needles(secret({"token": "eyJhbGciOiJSUzI1NiJ9"}, "kubernetes.io/service-account-token")) == {}
    binary = {"type": "Opaque", "metadata": {"namespace": "t", "name": "b"},
              "data": {"blob": base64.b64encode(bytes(range(200, 256))).decode()}}
    assert secret_needles(binary) == {}


def test_a_value_in_a_status_is_a_hit_named_by_the_secret_not_the_value():
    needles = {"correct-horse-battery": "t-1/db[password]"}
    hits = find_needles('{"status": {"message": "auth failed for correct-horse-battery"}}', needles, "Server t-1/s")
    assert hits == [Hit("Server t-1/s", "t-1/db[password]")]
    assert find_needles('{"status": {}}', needles, "Server t-1/s") == []


def test_grep_output_maps_matches_back_to_their_secret():
    needles = {"correct-horse-battery": "t-1/db[password]"}
    output = ("/var/lib/hydron/logs/shop/build-web.log:correct-horse-battery\n"
              "/var/lib/hydron/logs/shop/build-web.log:correct-horse-battery\n")
    assert grep_output_hits(output, needles, "srv-1") == [
        Hit("srv-1:/var/lib/hydron/logs/shop/build-web.log", "t-1/db[password]")]

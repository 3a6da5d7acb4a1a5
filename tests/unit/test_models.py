import pytest
from pydantic import ValidationError

from hydron.api import Application, Server
from hydron.controllers.common import InvalidSpec, parse


def test_application_round_trips_in_camel_case():
    body = {"spec": {"source": {"git": {"url": "https://h/r.git", "credentialsSecretRef": {"name": "gh"}}}}}
    app = parse(Application, body)
    assert app.spec.source.git.credentials_secret_ref.name == "gh"
    wire = app.spec.to_api()
    assert wire["source"]["git"]["credentialsSecretRef"] == {"name": "gh"}
    assert wire["source"]["git"]["pollIntervalSeconds"] == 300


def test_invalid_spec_message_names_the_field_and_hides_the_value():
    body = {"spec": {"address": "h", "sshKeySecretRef": {"name": "k", "key": "id"}, "port": "hunter2-secret"}}
    with pytest.raises(InvalidSpec) as caught:
        parse(Server, body)
    assert "spec.port" in caught.value.message
    assert "hunter2" not in caught.value.message


def test_unreadable_status_is_started_afresh_not_an_invalid_spec():
    body = {"spec": {"source": {"image": {"name": "nginx"}}}, "status": {"conditions": "garbage"}}
    assert parse(Application, body).status.conditions == []


def test_domains_are_validated_in_python_too():
    with pytest.raises(ValidationError):
        Application.model_validate({"spec": {"source": {"image": {"name": "x"}}, "domains": ["Not A Domain"]}})

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_provider_modelarts.api.config import EXTRA_KEYS, AuthType, ConnectionConfig
from airflow_provider_modelarts.api.endpoints import Cloud, EndpointError, Service, default_endpoint


def _config(login="AK", password="SK-SECRET", host=None, environ=None, **extra):
    extra.setdefault("region", "cn-north-4")
    return ConnectionConfig.from_connection_fields(
        login=login, password=password, host=host, extra=extra, environ=environ or {}
    )


def test_aksk_defaults_and_endpoints():
    cfg = _config(project_id="p1")
    assert cfg.auth_type is AuthType.AKSK
    assert cfg.endpoint(Service.MODELARTS) == "https://modelarts.cn-north-4.myhuaweicloud.com"
    assert cfg.endpoint(Service.IAM) == "https://iam.cn-north-4.myhuaweicloud.com"
    assert cfg.endpoint(Service.RES) == "https://res.cn-north-4.myhuaweicloud.com"
    assert cfg.verify is True


def test_otc_endpoints_and_unknowns():
    cfg = _config(region="eu-de", cloud="opentelekomcloud")
    assert cfg.endpoint(Service.MODELARTS) == "https://modelarts.eu-de.otc.t-systems.com"
    assert cfg.endpoint(Service.IAM) == "https://iam.eu-de.otc.t-systems.com"
    with pytest.raises(EndpointError, match="RES is not offered"):
        cfg.endpoint(Service.RES)
    with pytest.raises(EndpointError, match="only eu-de"):
        default_endpoint(Service.MODELARTS, Cloud.OTC, "eu-nl")
    assert default_endpoint(Service.IAM, Cloud.OTC, "eu-nl") == "https://iam.eu-nl.otc.t-systems.com"
    assert default_endpoint(Service.MODELARTS, Cloud.HUAWEICLOUD, "ap-southeast-1").endswith(
        ".myhuaweicloud.cn"
    )


def test_overrides_and_loopback_emulator_serves_everything():
    cfg = _config(host="http://127.0.0.1:8089/")
    assert cfg.endpoint(Service.MODELARTS) == "http://127.0.0.1:8089"
    assert cfg.endpoint(Service.IAM) == "http://127.0.0.1:8089"
    assert cfg.endpoint(Service.RES) == "http://127.0.0.1:8089"
    private = _config(host="modelarts.internal.example", iam_endpoint="https://iam.internal.example")
    assert private.endpoint(Service.MODELARTS) == "https://modelarts.internal.example"
    assert private.endpoint(Service.IAM) == "https://iam.internal.example"


@pytest.mark.parametrize(
    "host",
    [
        "http://localhost:8089",
        "http://127.0.0.1:8089",
        "http://127.8.9.10",
        "http://[::1]:8089",
        "http://LOCALHOST",
    ],
)
def test_a_loopback_endpoint_serves_iam_and_res_too(host):
    cfg = _config(host=host)
    assert cfg.endpoint(Service.IAM) == cfg.endpoint(Service.RES) == cfg.endpoint(Service.MODELARTS)


@pytest.mark.parametrize(
    "host",
    [
        "https://127.example.com",  # a name that merely starts like a loopback address
        "https://127.0.0.1.example.com",
        "https://localhost.example.com",
        "https://0.0.0.0:8089",  # plain http there is refused outright (see test_endpoint_safety)
        "https://10.0.0.1",
        "https://[fd00::1]",
    ],
)
def test_other_endpoints_never_get_the_iam_password(host):
    cfg = _config(login="alice", password="pw", host=host, domain_name="acme")
    assert cfg.endpoint(Service.IAM) == "https://iam.cn-north-4.myhuaweicloud.com"
    assert cfg.endpoint(Service.RES) == "https://res.cn-north-4.myhuaweicloud.com"


def test_domain_name_selects_token_auth():
    cfg = _config(login="alice", password="pw", domain_name="acme")
    assert cfg.auth_type is AuthType.TOKEN
    assert cfg.username == "alice" and cfg.access_key is None
    assert cfg.auth_description() == "IAM token auth (user alice, domain acme)"
    assert _config().auth_description() == "AK/SK auth"
    assert _config(security_token="T0KEN").auth_description() == "temporary AK/SK auth with a security token"
    with pytest.raises(ValueError, match="IAM user name"):
        _config(login="alice", password=None, domain_name="acme")
    with pytest.raises(ValueError, match="security_token") as info:
        _config(login="alice", password="pw", domain_name="acme", security_token="TOKEN-SECRET")
    assert "TOKEN-SECRET" not in str(info.value)


def test_no_extra_key_selects_the_auth_mode_but_domain_name():
    # There is no auth-type key: an old one is not read, whatever it says.
    assert _config(auth_type="token").auth_type is AuthType.AKSK
    assert "auth_type" not in EXTRA_KEYS


def test_environment_fallback_for_aksk():
    env = {
        "HUAWEICLOUD_SDK_AK": "ENVAK",
        "HUAWEICLOUD_SDK_SK": "ENVSK",
        "HUAWEICLOUD_SDK_SECURITY_TOKEN": "ENVTOK",
    }
    cfg = _config(login=None, password=None, environ=env)
    assert cfg.access_key == "ENVAK"
    assert cfg.secret_key is not None and cfg.secret_key.get_secret_value() == "ENVSK"
    assert cfg.security_token is not None and cfg.security_token.get_secret_value() == "ENVTOK"
    # The connection's own keys win over the environment.
    assert _config(environ=env).access_key == "AK"


def test_legacy_prefixed_extra_keys_and_verify_forms():
    cfg = _config(**{"extra__modelarts__project_id": "legacy", "verify": "false", "timeout": "5"})
    assert cfg.project_id == "legacy"
    assert cfg.verify is False
    assert cfg.timeout == 5.0
    assert _config(verify=False).verify is False and _config(verify="TRUE").verify is True
    assert _config().verify is True


def test_verify_is_a_boolean_and_a_ca_bundle_is_a_file(tmp_path: Path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    assert _config(ca_bundle=str(bundle)).verify == str(bundle)
    assert _config(ca_bundle=str(bundle), verify=True).verify == str(bundle)
    with pytest.raises(ValueError, match="verify: 'maybe' is not true or false"):
        _config(verify="maybe")
    with pytest.raises(ValueError, match="verify"):
        _config(verify=str(bundle))  # a path belongs in ca_bundle
    with pytest.raises(ValueError, match=r"ca_bundle: .* is not a file"):
        _config(ca_bundle=str(tmp_path / "missing.pem"))
    with pytest.raises(ValueError, match="verify is false"):
        _config(ca_bundle=str(bundle), verify=False)


def test_credentials_lose_surrounding_whitespace():
    cfg = _config(login=" AK\n", password="\tSK-SECRET\r\n", security_token="TOKEN-SECRET\n")
    assert cfg.access_key == "AK"
    assert cfg.secret_key is not None and cfg.secret_key.get_secret_value() == "SK-SECRET"
    assert cfg.security_token is not None and cfg.security_token.get_secret_value() == "TOKEN-SECRET"
    assert sorted(cfg.secrets()) == ["SK-SECRET", "TOKEN-SECRET"]
    env = {
        "HUAWEICLOUD_SDK_AK": "ENVAK ",
        "HUAWEICLOUD_SDK_SK": "ENVSK\n",
        "HUAWEICLOUD_SDK_SECURITY_TOKEN": " ENVTOK",
    }
    from_env = _config(login=None, password=None, environ=env)
    assert from_env.access_key == "ENVAK" and from_env.secrets() == ["ENVSK", "ENVTOK"]


@pytest.mark.parametrize(
    "bad", ["TOKEN\nSECRET", "TOKEN SECRET", "TOKEN\x00SECRET", "TOKEN\u00e9SECRET", "TOK\x7fEN"]
)
@pytest.mark.parametrize("field", ["login", "password", "security_token"])
def test_credentials_with_inner_whitespace_or_control_characters_are_refused_unseen(bad, field):
    fields = {"login": "AK", "password": "SK-SECRET", "security_token": "TOKEN-SECRET", field: bad}
    with pytest.raises(ValueError, match="the value is not shown") as info:
        _config(**fields)
    assert bad not in str(info.value) and bad.strip() not in str(info.value)
    assert "TOKEN" not in str(info.value) and "SK-SECRET" not in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"region": "../x"}, "region"),
        ({"project_id": "a/b"}, "project_id"),
        ({"host": "ftp://x"}, "modelarts_endpoint"),
        ({"iam_endpoint": "https://user:pw@iam.example"}, "iam_endpoint"),
        ({"timeout": 0}, "timeout"),
        ({"cloud": "otc"}, "cloud"),
        ({"verify": "maybe"}, "verify"),
    ],
)
def test_bad_fields_name_themselves(kwargs, field):
    with pytest.raises(ValueError, match=field):
        _config(**kwargs)


def test_missing_region_and_missing_keys():
    with pytest.raises(ValueError, match="region"):
        ConnectionConfig.from_connection_fields(login="a", password="b", host=None, extra={}, environ={})
    with pytest.raises(ValueError, match="secret key") as info:
        _config(password=None)
    assert "SK-SECRET" not in str(info.value)


def test_secrets_never_in_repr_or_errors():
    cfg = _config(security_token="TOKEN-SECRET", project_id="p")
    text = repr(cfg) + str(cfg) + cfg.identity()
    assert "SK-SECRET" not in text and "TOKEN-SECRET" not in text
    assert sorted(cfg.secrets()) == ["SK-SECRET", "TOKEN-SECRET"]
    with pytest.raises(ValueError, match="timeout") as info:
        _config(password="SK-SECRET", timeout=-1)
    assert "SK-SECRET" not in str(info.value)


def test_identity_separates_different_secrets():
    assert _config(password="one").identity() != _config(password="two").identity()
    assert _config(password="one").identity() == _config(password="one").identity()

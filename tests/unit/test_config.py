from __future__ import annotations

import pytest

from airflow_provider_modelarts.api.config import AuthType, ConnectionConfig
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
    cfg = _config(region="eu-de", cloud="otc")
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


def test_token_auth_needs_user_password_and_domain():
    cfg = _config(login="alice", password="pw", auth_type="token", domain_name="acme")
    assert cfg.auth_type is AuthType.TOKEN
    assert cfg.username == "alice"
    with pytest.raises(ValueError, match="domain_name"):
        _config(login="alice", password="pw", auth_type="token")


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


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"region": "../x"}, "region"),
        ({"project_id": "a/b"}, "project_id"),
        ({"host": "ftp://x"}, "modelarts_endpoint"),
        ({"iam_endpoint": "https://user:pw@iam.example"}, "iam_endpoint"),
        ({"timeout": 0}, "timeout"),
        ({"auth_type": "kerberos"}, "kerberos"),
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

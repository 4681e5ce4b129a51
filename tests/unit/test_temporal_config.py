"""Which Temporal a process connects to, and how (warroom.temporal.target): Temporal's own
convention (a temporal.toml profile, TEMPORAL_* over it), warroom's aliases over that, `warroom up`
on none of it; and every failure to configure or connect said in one line without a secret."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from temporalio.service import TLSConfig

from warroom.config import Settings
from warroom.temporal.connection import Unavailable, connect
from warroom.temporal.target import TemporalConfigError, connect_options

BIN = Path(sys.executable).parent
API_KEY = "tmprl-test-key-0123456789abcdef"
PROFILES = f"""
[profile.default]
address = "staging.example.com:7233"
namespace = "staging"

[profile.cloud]
address = "warroom.a1b2c.tmprl.cloud:7233"
namespace = "warroom.a1b2c"
api_key = "{API_KEY}"

[profile.secured]
address = "temporal.internal:7233"
namespace = "incidents"
[profile.secured.tls]
server_name = "temporal.internal"
server_ca_cert_path = "{{dir}}/ca.pem"
client_cert_path = "{{dir}}/client.pem"
client_key_path = "{{dir}}/client.key"
"""


@pytest.fixture(autouse=True)
def no_configuration(monkeypatch, tmp_path):
    """Nothing configured: no TEMPORAL_* or WARROOM_* variables, a home without temporal.toml."""
    for name in list(os.environ):
        if name.startswith(("TEMPORAL_", "WARROOM_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)


@pytest.fixture
def profiles(monkeypatch, tmp_path) -> Path:
    """A temporal.toml with three profiles and the PEM files the secured one names."""
    for name in ("ca.pem", "client.pem", "client.key"):
        (tmp_path / name).write_text(f"-----BEGIN {name}-----\n")
    path = tmp_path / "temporal.toml"
    path.write_text(PROFILES.replace("{dir}", str(tmp_path)))
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(path))
    return path


def options(**settings: object) -> dict:
    return connect_options(Settings.from_env(**settings))


def test_with_nothing_configured_it_is_the_local_default_in_plaintext():
    assert options() == {"target_host": "localhost:7233", "namespace": "default"}


def test_temporal_variables_configure_address_namespace_api_key_and_tls(monkeypatch, tmp_path):
    monkeypatch.setenv("TEMPORAL_ADDRESS", "warroom.a1b2c.tmprl.cloud:7233")
    monkeypatch.setenv("TEMPORAL_NAMESPACE", "warroom.a1b2c")
    monkeypatch.setenv("TEMPORAL_API_KEY", API_KEY)
    chosen = options()
    assert chosen["target_host"] == "warroom.a1b2c.tmprl.cloud:7233" and chosen["namespace"] == "warroom.a1b2c"
    assert chosen["api_key"] == API_KEY and chosen["tls"]  # an API key turns TLS on

    (tmp_path / "ca.pem").write_text("the CA")
    (tmp_path / "client.pem").write_text("the certificate")
    (tmp_path / "client.key").write_text("the key")
    monkeypatch.delenv("TEMPORAL_API_KEY")
    monkeypatch.setenv("TEMPORAL_TLS_SERVER_CA_CERT_PATH", str(tmp_path / "ca.pem"))
    monkeypatch.setenv("TEMPORAL_TLS_CLIENT_CERT_PATH", str(tmp_path / "client.pem"))
    monkeypatch.setenv("TEMPORAL_TLS_CLIENT_KEY_PATH", str(tmp_path / "client.key"))
    monkeypatch.setenv("TEMPORAL_TLS_SERVER_NAME", "temporal.internal")
    tls = options()["tls"]
    assert isinstance(tls, TLSConfig) and tls.domain == "temporal.internal"
    assert (tls.server_root_ca_cert, tls.client_cert, tls.client_private_key) == (b"the CA", b"the certificate",
                                                                                  b"the key")
    monkeypatch.setenv("TEMPORAL_TLS", "false")
    assert options()["tls"] is False


def test_a_profile_is_chosen_by_option_then_variable_then_default(profiles, monkeypatch):
    assert options()["target_host"] == "staging.example.com:7233"
    monkeypatch.setenv("TEMPORAL_PROFILE", "cloud")
    cloud = options()
    assert (cloud["target_host"], cloud["namespace"], cloud["api_key"]) == (
        "warroom.a1b2c.tmprl.cloud:7233", "warroom.a1b2c", API_KEY)
    secured = options(temporal_profile="secured")  # --profile wins over TEMPORAL_PROFILE
    assert secured["target_host"] == "temporal.internal:7233" and secured["namespace"] == "incidents"
    assert isinstance(secured["tls"], TLSConfig) and secured["tls"].client_cert.startswith(b"-----BEGIN client.pem")


def test_the_users_temporal_toml_is_read_where_the_temporal_cli_reads_it(profiles, monkeypatch, tmp_path):
    monkeypatch.delenv("TEMPORAL_CONFIG_FILE")
    home = tmp_path / "home" / ".config" / "temporalio"
    home.mkdir(parents=True)
    (home / "temporal.toml").write_text(profiles.read_text())
    assert options()["target_host"] == "staging.example.com:7233"


def test_variables_override_the_profile_field_by_field_and_the_aliases_win(profiles, monkeypatch):
    monkeypatch.setenv("TEMPORAL_ADDRESS", "10.0.0.7:7233")
    secured = options(temporal_profile="secured")
    assert secured["target_host"] == "10.0.0.7:7233" and secured["namespace"] == "incidents"
    assert secured["tls"].domain == "temporal.internal"  # the profile's TLS is kept

    monkeypatch.setenv("WARROOM_TEMPORAL_ADDRESS", "10.0.0.8:7233")
    monkeypatch.setenv("TEMPORAL_NAMESPACE", "from-temporal")
    monkeypatch.setenv("WARROOM_NAMESPACE", "from-warroom")
    aliased = options(temporal_profile="secured")
    assert (aliased["target_host"], aliased["namespace"]) == ("10.0.0.8:7233", "from-warroom")
    assert aliased["tls"].client_cert  # still the profile's mTLS


def test_warroom_up_ignores_temporal_configuration(profiles, monkeypatch):
    """Its own dev server is local and plaintext: a Cloud profile or TEMPORAL_TLS must not reach it."""
    monkeypatch.setenv("TEMPORAL_PROFILE", "cloud")
    monkeypatch.setenv("TEMPORAL_TLS", "true")
    monkeypatch.setenv("TEMPORAL_ADDRESS", "elsewhere:7233")
    dev = options(temporal_address="127.0.0.1:17233", temporal_config=False)
    assert dev == {"target_host": "127.0.0.1:17233", "namespace": "default"}


def test_configuration_errors_are_one_line_and_show_no_secret(profiles, monkeypatch, tmp_path):
    with pytest.raises(TemporalConfigError) as unknown:
        options(temporal_profile="prod")
    assert "Profile 'prod' not found" in str(unknown.value) and "TEMPORAL_CONFIG_FILE" in str(unknown.value)

    profiles.write_text(f'[profile.default]\napi_key = "{API_KEY}\n')  # unterminated: the parser quotes the line
    with pytest.raises(TemporalConfigError) as broken:
        options()
    assert "TOML parse error at line 2" in str(broken.value)
    assert "\n" not in str(broken.value) and API_KEY not in str(broken.value)

    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("TEMPORAL_TLS_CLIENT_CERT_PATH", str(tmp_path / "missing.pem"))
    with pytest.raises(TemporalConfigError, match=r"cannot read .*missing\.pem: No such file"):
        options()


async def test_a_failed_connection_is_one_line_naming_the_target_never_the_key(monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: nothing listens there
    monkeypatch.setenv("TEMPORAL_ADDRESS", f"127.0.0.1:{port}")
    monkeypatch.setenv("TEMPORAL_API_KEY", API_KEY)
    with pytest.raises(Unavailable) as failed:
        await connect(Settings.from_env())
    message = str(failed.value)
    assert message == (f"cannot reach Temporal at 127.0.0.1:{port} (namespace default, TLS, API key): "
                       "connection refused: is Temporal (or `warroom up`) running there?")


@pytest.mark.parametrize("command", ["worker", "serve"])
def test_the_worker_and_gateway_refuse_a_bad_profile_in_one_line(command, profiles):
    ran = subprocess.run([str(BIN / "warroom"), command, "--profile", "prod"], capture_output=True, text=True,
                         timeout=60, env={**os.environ, "TEMPORAL_CONFIG_FILE": str(profiles)})
    assert ran.returncode == 1 and ran.stderr.count("\n") == 1, ran.stderr
    assert ran.stderr.startswith("warroom: Temporal client configuration: Profile 'prod' not found")
    assert API_KEY not in ran.stderr + ran.stdout

"""`warroom config check [FILE]`, run as the real CLI in a subprocess: exit codes, errors that name
file:line and the field, unset variables named without any value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from warroom.config_file import WarroomConfig, load_config

ROOT = Path(__file__).resolve().parents[2]
VALUE = "pd-routing-key-value-never-printed"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    return subprocess.run(
        [sys.executable, "-m", "warroom.cli.app", "config", "check", *args],
        cwd=ROOT,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


GOOD = """\
providers:
  pager:
    type: pagerduty
    routing_key: {env: WARROOM_PD_KEY}
    throttle_per_minute: 5
  email:
    type: smtp
    host: smtp.example.com
    sender: warroom@example.com
    username: warroom
    password: {env: WARROOM_SMTP_PASSWORD}
  statuspage:
    type: atlassian
    api_key: {env: WARROOM_STATUSPAGE_KEY}
    page_id: kctbh9vrtdwd
    components: {Checkout: 8kbf7d35c070}
"""


def test_a_good_file_exits_0_with_one_line_per_channel_and_names_unset_variables(tmp_path):
    file = tmp_path / "warroom.yaml"
    file.write_text(GOOD)
    result = run(str(file), env={"WARROOM_PD_KEY": VALUE, "WARROOM_SMTP_PASSWORD": "smtp-secret-value"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{file}: OK")
    channels = {line.split()[0]: line for line in lines[1:]}
    assert list(channels) == ["pager", "email", "chat", "ticket", "statuspage"]
    assert "pagerduty https://events.pagerduty.com" in channels["pager"] and "5 pages a minute" in channels["pager"]
    assert "smtp smtp.example.com:587" in channels["email"]
    assert "outbox" in channels["chat"] and "outbox" in channels["ticket"]
    assert "atlassian" in channels["statuspage"]
    assert f"{file}:14: providers.statuspage.api_key: $WARROOM_STATUSPAGE_KEY is not set" in result.stderr
    assert "WARROOM_PD_KEY is not set" not in result.stderr
    assert VALUE not in result.stdout + result.stderr and "smtp-secret-value" not in result.stdout + result.stderr


def test_require_env_makes_an_unset_variable_an_error(tmp_path):
    file = tmp_path / "warroom.yaml"
    file.write_text(GOOD)
    result = run(str(file), "--require-env", env={"WARROOM_PD_KEY": VALUE, "WARROOM_SMTP_PASSWORD": "x"})
    assert result.returncode == 1
    assert "error:" in result.stderr and "$WARROOM_STATUSPAGE_KEY is not set" in result.stderr


def test_errors_name_the_file_the_line_and_the_field(tmp_path):
    file = tmp_path / "warroom.yaml"
    file.write_text("""\
providers:
  pager:
    type: pagerduty
    routing_key: {env: WARROOM_PD_KEY}
    throttle_per_minute: 0
  email:
    type: smtp
    host: smtp.example.com
  chat:
    type: pagerduty
    routing_key: {env: WARROOM_PD_KEY}
  statuspage:
    type: atlassian
    api_key: {env: lower_case}
    page_id: p
""")
    result = run(str(file), env={"WARROOM_PD_KEY": VALUE})
    assert result.returncode == 1
    assert result.stdout == ""
    errors = result.stderr
    assert (
        f"{file}:5: providers.pager.throttle_per_minute: Input should be greater than or equal to 1 (got 0)" in errors
    )
    assert f"{file}:7: providers.email.sender: Field required" in errors  # the section's first line
    assert f"{file}:10: providers.chat: Input tag 'pagerduty' found using 'type' does not match" in errors
    assert f"{file}:14: providers.statuspage.api_key.env: String should match pattern" in errors
    assert VALUE not in errors


def test_a_missing_file_and_bad_yaml_exit_1(tmp_path):
    assert run(str(tmp_path / "absent.yaml")).returncode == 1
    (tmp_path / "bad.yaml").write_text("providers: [unclosed\n")
    result = run(str(tmp_path / "bad.yaml"))
    assert result.returncode == 1 and "not valid YAML" in result.stderr


def test_the_shipped_file_checks_and_keeps_the_defaults():
    result = run("warroom.yaml")
    assert result.returncode == 0, result.stderr
    config = load_config(ROOT / "warroom.yaml")
    assert config.providers.pager.type == "outbox" and config.providers.statuspage.type == "builtin"
    assert {config.providers.email.type, config.providers.chat.type, config.providers.ticket.type} == {"outbox"}


def test_the_shipped_files_commented_providers_example_is_valid(tmp_path):
    """Uncomment the documented `providers:` section: it validates, every provider documented."""
    text = (ROOT / "warroom.yaml").read_text()
    head, marker, tail = text.partition("# providers:\n")
    assert marker, "warroom.yaml documents a commented providers: section"
    lines = ["providers:"] + [line[2:] if line.startswith("# ") else line.lstrip("#") for line in tail.splitlines()]
    example = "\n".join(lines)
    for kind in (
        "pagerduty",
        "opsgenie",
        "smtp",
        "slack",
        "slack_webhook",
        "webhook",
        "atlassian",
        "builtin",
        "outbox",
    ):
        assert kind in example
    file = tmp_path / "warroom.yaml"
    file.write_text(head + example + "\n")
    result = run(str(file))
    assert result.returncode == 0, result.stderr
    assert (
        WarroomConfig.model_validate(__import__("yaml").safe_load(file.read_text())).providers.pager.type == "pagerduty"
    )

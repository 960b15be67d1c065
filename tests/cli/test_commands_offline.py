"""The operator commands where no server is needed: help everywhere, and bad input files refused
with the file, line and column before anything is sent."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from grantflow_cli import operations
from grantflow_cli.main import cli
from grantflow_runtime.natsserver import free_port

Invoke = Callable[..., Result]

ORG_HEADER = "name,legal_form,inn,ogrn,region_code,registered_on,contact_name,contact_email"


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.chdir(tmp_path)
    nobody = f"http://127.0.0.1:{free_port()}"
    env = {
        "GRANTFLOW_AUTH_SECRET": "offline-tests-signing-key-0123456789",
        "GRANTFLOW_DATA_DIR": str(tmp_path / "data"),
        "GRANTFLOW_GATEWAY_URL": nobody,
        "GRANTFLOW_TOKEN": None,
        "GRANTFLOW_AS": None,
    }

    def invoke(*args: str, stdin: str | None = None) -> Result:
        return CliRunner().invoke(cli, list(args), env=env, input=stdin)

    return invoke


def every_command() -> Iterator[tuple[list[str], click.Command]]:
    def walk(path: list[str], command: click.Command) -> Iterator[tuple[list[str], click.Command]]:
        yield path, command
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from walk([*path, name], sub)

    for command in operations.commands:
        assert command.name is not None
        yield from walk([command.name], command)


@pytest.mark.parametrize(
    ("path", "command"),
    list(every_command()),
    ids=lambda v: " ".join(v) if isinstance(v, list) else "",
)
def test_every_command_and_option_has_help(
    path: list[str], command: click.Command, run: Invoke
) -> None:
    assert command.help and command.help.strip(), path
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, (path, param.name)
    result = run(*path, "--help")
    assert result.exit_code == 0 and "Usage: " in result.output


def test_the_operator_commands_are_registered() -> None:
    assert {c.name for c in operations.commands} <= set(cli.commands)
    assert set(cli.commands["competition"].commands) == {"create", "open", "close", "show", "list"}  # type: ignore[attr-defined]
    assert set(cli.commands["export"].commands) == {"ranking", "awards"}  # type: ignore[attr-defined]


def test_a_bad_competition_file_is_refused_line_by_line(run: Invoke, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("title: x\nbudgt: 5\nmaxGrant: lots\n", encoding="utf-8")
    result = run("competition", "create", "bad.yaml")
    assert result.exit_code == 1
    assert "bad.yaml:2:1: budgt: unknown field; did you mean 'budget'?" in result.stderr
    assert "bad.yaml:3:11: maxGrant: must be an amount in roubles, like 1500000" in result.stderr
    assert "(got 'lots')" in result.stderr
    missing = run("competition", "create", "nope.yaml")
    assert missing.exit_code == 1 and "nope.yaml: cannot be read" in missing.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_bytes(b"title: \xff\n")
    assert (
        "broken.yaml:1:8: is not UTF-8 (byte 0xFF)"
        in run("competition", "create", "broken.yaml").stderr
    )


def test_a_dry_run_checks_every_row_and_creates_nothing(run: Invoke, tmp_path: Path) -> None:
    good = f"{ORG_HEADER}\nA,nco,7707083893,1027700132195,RU-PRI,2019-05-20,Anna,a@example.org\n"
    bad = good + "B,bank,5001007329,1027700132195,RU-TA,yesterday,Boris,b@example.org\n"
    (tmp_path / "good.csv").write_text(good, encoding="utf-8")
    (tmp_path / "bad.csv").write_text(bad, encoding="utf-8")
    ready = run("organisations", "import", "good.csv", "--dry-run")
    assert ready.exit_code == 0 and "1 of 1 rows are ready to import" in ready.stdout
    refused = run("organisations", "import", "bad.csv", "--dry-run")
    assert refused.exit_code == 1
    assert "bad.csv:3:2: legal_form: 'bank' is not one of" in refused.stderr
    assert "bad.csv:3:6: registered_on: 'yesterday' is not a date" in refused.stderr
    assert "Error: bad.csv: 1 bad row(s)" in refused.stderr


def test_a_file_without_its_columns_or_in_another_encoding_is_refused(
    run: Invoke, tmp_path: Path
) -> None:
    (tmp_path / "short.csv").write_text("name,inn\nA,1\n", encoding="utf-8")
    short = run("organisations", "import", "short.csv")
    assert short.exit_code == 1
    assert (
        "short.csv:1:1: the header lacks the required column(s): legal_form, ogrn, region_code, "
        "registered_on, contact_name, contact_email" in short.stderr
    )
    text = (
        "subject;display_name;direction_codes;region_code;max_load\ne-1;Иванова;family;RU-MOW;5\n"
    )
    (tmp_path / "experts.csv").write_bytes(text.encode("cp1251"))
    wrong = run("experts", "import", "experts.csv")
    assert wrong.exit_code == 1 and "experts.csv:2:5: is not UTF-8 (byte 0xC8)" in wrong.stderr
    right = run("experts", "import", "experts.csv", "--encoding", "cp1251", "--dry-run")
    assert right.exit_code == 0 and "1 of 1 rows are ready" in right.stdout


def test_an_unreachable_gateway_is_a_clear_error(run: Invoke) -> None:
    result = run("competition", "show", "c-1")
    assert result.exit_code == 1
    assert "503 Gateway unreachable: http://127.0.0.1:" in result.stderr


def test_options_outside_their_choices_are_usage_errors(run: Invoke) -> None:
    bad_format = run("export", "ranking", "c-1", "--format", "pdf", "-o", "x.pdf")
    assert bad_format.exit_code == 2 and "'pdf' is not one of 'csv', 'xlsx'" in bad_format.stderr
    no_output = run("export", "awards", "c-1")
    assert no_output.exit_code == 2 and "Missing option '-o'" in no_output.stderr
    bad_state = run("competition", "list", "--state", "sleeping")
    assert bad_state.exit_code == 2

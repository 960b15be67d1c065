"""The `grantflow` command against a live stack: each invocation is a child process, because the
services and the gateway run in this test's event loop and a synchronous command in the same
thread would block them."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.gateway.stack import TEST_SECRET, Stack, StackFactory, gateway_stack

__all__ = ["CliStack", "Ran", "cli_stack", "gateway_stack"]

# `-c`, not `-m grantflow_cli.main`: the command's entry point is the click group itself.
ENTRY = "from grantflow_cli.main import cli; cli(prog_name='grantflow')"
# Callers and places a developer's shell may have set; a test names its own.
_SCRUBBED = ("GRANTFLOW_TOKEN", "GRANTFLOW_AS", "GRANTFLOW_GATEWAY_URL")


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str

    def __str__(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


@dataclass
class CliStack:
    stack: Stack
    workdir: Path

    def env(self, **overrides: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
        env.update(
            {
                "GRANTFLOW_GATEWAY_URL": self.stack.base_url,
                "GRANTFLOW_AUTH_SECRET": TEST_SECRET,
                "GRANTFLOW_DATA_DIR": str(self.stack.config.data_dir),
                # Wide enough that no table wraps: the output is compared line by line.
                "COLUMNS": "220",
                "PYTHONIOENCODING": "utf-8",
            }
        )
        for name, host in self.stack.hosts.items():
            env[f"GRANTFLOW_{name.upper()}_ADDR"] = f"127.0.0.1:{host.port}"
        env.update(overrides)
        return env

    async def run(
        self, *args: str, stdin: str = "", env: dict[str, str] | None = None, timeout: float = 30.0
    ) -> Ran:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            ENTRY,
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self.env(**(env or {})),
            cwd=self.workdir,
        )
        try:
            out, err = await asyncio.wait_for(process.communicate(stdin.encode()), timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise
        assert process.returncode is not None
        return Ran(process.returncode, out.decode(), err.decode())

    async def ok(self, *args: str) -> Ran:
        ran = await self.run(*args)
        assert ran.code == 0, f"grantflow {' '.join(args)}\n{ran}"
        return ran

    async def ok_all(self, *commands: tuple[str, ...]) -> list[Ran]:
        """Independent commands at once: each is a process of its own, so the test waits for
        the slowest start-up rather than for all of them in turn."""
        return list(await asyncio.gather(*(self.ok(*args) for args in commands)))


@pytest.fixture
async def cli_stack(gateway_stack: StackFactory, tmp_path: Path) -> CliStack:
    stack = await gateway_stack()
    workdir = tmp_path / "work"
    workdir.mkdir()
    return CliStack(stack, workdir)

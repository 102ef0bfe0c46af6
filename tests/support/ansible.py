"""Real Ansible modules (the `community.digitalocean` collection of the `ansible` package) run
against LocalOcean: through the HTTPS proxy of `localocean env`, as they hard-code
api.digitalocean.com."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

COLLECTION = "ansible_collections.community.digitalocean.plugins.modules."


def run_module(module: str, args: dict[str, Any], token: str, workdir: Path) -> dict[str, Any]:
    """Run `community.digitalocean.<module>` once; its result, `failed` included.

    The module runs as Ansible runs it on a host, a Python process given its arguments as
    `ANSIBLE_MODULE_ARGS` that prints its result as JSON, without the 1.5 s of CPU that
    `ansible-playbook` spends around it (`run_play` shows the modules under the real engine).
    The environment (HTTPS_PROXY, SSL_CERT_FILE, ...) is the caller's: set it from
    `localocean env` (the `proxied` fixture does)."""
    arguments = {"ANSIBLE_MODULE_ARGS": {"oauth_token": token, **args}}
    done = subprocess.run(
        [sys.executable, "-m", COLLECTION + module],
        input=json.dumps(arguments),
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "ANSIBLE_LOCAL_TEMP": str(workdir / "tmp")},
    )
    try:
        result: dict[str, Any] = json.loads(done.stdout)
    except ValueError as exc:
        raise AssertionError(done.stdout + done.stderr) from exc
    return result


def run_play(tasks: list[dict[str, Any]], workdir: Path) -> list[dict[str, Any]]:
    """Run `tasks` as one play of `ansible-playbook` on localhost; each task's result."""
    playbook = workdir / "play.yml"
    play = {"hosts": "localhost", "gather_facts": False, "connection": "local", "tasks": tasks}
    playbook.write_text(yaml.safe_dump([play]))
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "ANSIBLE_LOCAL_TEMP": str(workdir / "tmp"),
        "ANSIBLE_HOME": str(workdir / "home"),
        "ANSIBLE_NOCOLOR": "1",
        # The play's outcome as one JSON document on stdout: the tasks' results read from it.
        "ANSIBLE_STDOUT_CALLBACK": "json",
        "ANSIBLE_PIPELINING": "true",
    }
    done = subprocess.run(
        [str(bin_dir / "ansible-playbook"), "-i", "localhost,", str(playbook)],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    try:
        outcome = json.loads(done.stdout)
        return [task["hosts"]["localhost"] for task in outcome["plays"][0]["tasks"]]
    except (ValueError, KeyError, IndexError) as exc:
        raise AssertionError(done.stdout + done.stderr) from exc

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


def run_module(module: str, args: dict[str, Any], token: str, workdir: Path) -> dict[str, Any]:
    """Run `community.digitalocean.<module>` once on localhost; its result, `failed` included.

    The environment (HTTPS_PROXY, SSL_CERT_FILE, ...) is the caller's: set it from
    `localocean env` (the `proxied` fixture does)."""
    playbook = workdir / f"{module}.yml"
    task = {"community.digitalocean." + module: {"oauth_token": token, **args}}
    play = {
        "hosts": "localhost",
        "gather_facts": False,
        "connection": "local",
        "tasks": [{"name": "run", **task, "ignore_errors": True}],
    }
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
        # The play's outcome as one JSON document on stdout: the task's result read from it.
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
        result: dict[str, Any] = outcome["plays"][0]["tasks"][0]["hosts"]["localhost"]
    except (ValueError, KeyError, IndexError) as exc:
        raise AssertionError(done.stdout + done.stderr) from exc
    return result

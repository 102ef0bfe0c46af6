"""Several LocalOcean processes over one PostgreSQL database: they serve one DigitalOcean."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests import test_kubeapi
from tests.conftest import new_token
from tests.test_kubernetes import cluster_body
from tests.test_ssh_keys import openssh_key

kubectl_path = test_kubeapi.kubectl_path  # the fixture, for the watch test


@pytest.fixture
def shared_database(backend, tmp_path: Path) -> tuple[list[str], str]:
    if backend.name != "postgresql":
        pytest.skip("several processes share a PostgreSQL database; SQLite is one process's")
    return backend.durable(tmp_path / "data")


def test_two_processes_serve_one_account(start_server, clients, shared_database) -> None:
    database, _ = shared_database
    one = start_server("--timing", "fast", database=database)
    two = start_server("--timing", "fast", database=database)
    token = new_token()
    with clients.http(one.url, token) as first, clients.http(two.url, token) as second:
        created = first.post("/v2/account/keys", json={"name": "k", "public_key": openssh_key()})
        assert created.status_code == 201
        key_id = created.json()["ssh_key"]["id"]
        assert second.get(f"/v2/account/keys/{key_id}").json()["ssh_key"]["name"] == "k"
        renamed = second.put(f"/v2/account/keys/{key_id}", json={"name": "renamed"})
        assert renamed.status_code == 200
        assert first.get("/v2/account/keys").json()["ssh_keys"][0]["name"] == "renamed"
        # A cluster made through one comes up through either: its transitions run once.
        cluster = first.post("/v2/kubernetes/clusters", json=cluster_body(name="shared"))
        cluster_id = cluster.json()["kubernetes_cluster"]["id"]
        deadline = time.monotonic() + 20
        while True:
            state = second.get(f"/v2/kubernetes/clusters/{cluster_id}").json()
            if state["kubernetes_cluster"]["status"]["state"] == "running":
                break
            assert time.monotonic() < deadline, state
            time.sleep(0.2)
        pools = first.get(f"/v2/kubernetes/clusters/{cluster_id}/node_pools").json()
        nodes = pools["node_pools"][0]["nodes"]
        assert len(nodes) == 2 and {n["status"]["state"] for n in nodes} == {"running"}
        droplets = second.get("/v2/droplets", params={"tag_name": f"k8s:{cluster_id}"}).json()
        assert droplets["meta"]["total"] == 2, "each node's droplet made once"
        assert second.delete(f"/v2/account/keys/{key_id}").status_code == 204
        assert first.get(f"/v2/account/keys/{key_id}").status_code == 404


def test_a_killed_process_leaves_its_work_to_another(
    start_server, clients, shared_database
) -> None:
    database, _ = shared_database
    one = start_server("--timing", "realistic", database=database)
    two = start_server("--timing", "realistic", database=database)
    token = new_token()
    with clients.http(one.url, token) as first:
        body = {"name": "survivor", "region": "nyc3", "size": "s-1vcpu-1gb"}
        made = first.post("/v2/droplets", json={**body, "image": "ubuntu-24-04-x64"})
        assert made.status_code == 202
        droplet_id = made.json()["droplet"]["id"]
    one.stop(signal.SIGKILL)
    # The droplet's start was scheduled by the process that died; the other one finds it due
    # (LocalOcean's clock moved on, as it does on a real one) and applies it exactly once.
    moved = httpx.post(f"{two.url}/_localocean/clock/advance", json={"seconds": 600})
    assert moved.status_code == 200
    with clients.http(two.url, token) as second:
        deadline = time.monotonic() + 20
        while True:
            droplet = second.get(f"/v2/droplets/{droplet_id}").json()["droplet"]
            if droplet["status"] == "active":
                break
            assert time.monotonic() < deadline, droplet["status"]
            time.sleep(0.2)
        actions = second.get(f"/v2/droplets/{droplet_id}/actions").json()["actions"]
        assert [a["status"] for a in actions if a["type"] == "create"] == ["completed"]


def test_workers_share_one_port(start_server, shared_database) -> None:
    database, _ = shared_database
    server = start_server("--timing", "instant", "--workers", "2", database=database)
    seen: set[str] = set()
    token = new_token()

    def ask(_: int) -> str:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as c:
            answer = c.get("/v2/account")
            assert answer.status_code == 200
            return answer.headers["x-request-id"]

    with ThreadPoolExecutor(8) as pool:
        seen.update(pool.map(ask, range(64)))
    assert len(seen) == 64
    health = httpx.get(f"{server.url}/_localocean/health").json()
    assert health["status"] == "ok" and health["database"] == "ok"
    workers = _children(server.process.pid)
    assert len(workers) == 2
    os.kill(workers[0], signal.SIGKILL)
    deadline = time.monotonic() + 20
    while len(_children(server.process.pid)) != 2 or workers[0] in _children(server.process.pid):
        assert time.monotonic() < deadline, "the dead worker was not replaced"
        time.sleep(0.2)
    after = httpx.get(f"{server.url}/v2/account", headers={"Authorization": f"Bearer {token}"})
    assert after.status_code == 200, server.logs()[-3000:]


def _children(pid: int | None) -> list[int]:
    assert pid is not None
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in found]


def test_workers_refused_on_sqlite(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "localocean", "serve", "--port", "0", "--workers", "2",
         "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "--workers needs --database-url (PostgreSQL)" in result.stderr


def test_db_upgrade_run_together(shared_database) -> None:
    _, url = shared_database

    def upgrade(_: int) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "localocean", "db", "upgrade", "--database-url", url],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(upgrade, range(3)))
    assert [r.returncode for r in results] == [0, 0, 0], [r.stderr for r in results]
    outputs = sorted(r.stdout for r in results)
    assert sum("already at revision" in text for text in outputs) == 2


def test_a_watch_on_one_process_sees_changes_made_through_another(
    start_server, clients, shared_database, kubectl_path: str, tmp_path: Path
) -> None:
    database, _ = shared_database
    one = start_server("--timing", "instant", database=database)
    two = start_server("--timing", "instant", database=database)
    token = new_token()
    with clients.http(one.url, token) as first, clients.http(two.url, token) as second:
        cluster = test_kubeapi.Cluster(first, kubectl_path, tmp_path)
        address_one, address_two = one.url.split("//")[1], two.url.split("//")[1]
        with cluster.raw() as through_one:
            listed = cluster.request(through_one, "GET", "/api/v1/namespaces/default/configmaps")
            version = listed.json()["metadata"]["resourceVersion"]
        cluster.server = cluster.server.replace(address_one, address_two)
        with (
            cluster.raw() as through_two,
            through_two.stream(
                "GET",
                "/api/v1/namespaces/default/configmaps",
                params={"watch": "1", "resourceVersion": version, "timeoutSeconds": "10"},
                extensions={"sni_hostname": cluster.server_name},
            ) as watching,
        ):
            cluster.server = cluster.server.replace(address_two, address_one)
            with cluster.raw() as again:
                made = cluster.request(
                    again, "POST", "/api/v1/namespaces/default/configmaps",
                    json={"metadata": {"name": "from-one"}},
                )  # fmt: skip
                assert made.status_code == 201
            event = json.loads(next(watching.iter_lines()))
        assert event["type"] == "ADDED" and event["object"]["metadata"]["name"] == "from-one"
        assert second.get("/v2/account").status_code == 200


def test_control_changes_reach_every_process(start_server, shared_database) -> None:
    """A fault rule or a timing profile set through one process is in force on the other as
    soon as the control call returns; a rule's `times` budget is shared."""
    database, _ = shared_database
    one = start_server("--timing", "instant", database=database)
    two = start_server("--timing", "instant", database=database)
    headers = {"Authorization": f"Bearer {new_token()}"}
    rule = {"path": "/v2/account", "status": 503, "times": 3}
    added = httpx.post(f"{one.url}/_localocean/faults", json=rule)
    assert added.status_code == 201
    statuses = [
        httpx.get(f"{server.url}/v2/account", headers=headers).status_code
        for server in (two, one, two, one, two)
    ]
    assert statuses == [503, 503, 503, 200, 200], "three firings in all, across both"
    listed = httpx.get(f"{two.url}/_localocean/faults").json()["faults"]
    assert listed == []
    assert httpx.put(f"{two.url}/_localocean/timing", json={"profile": "manual"}).status_code == 200
    assert httpx.get(f"{one.url}/_localocean/timing").json()["profile"] == "manual"
    assert httpx.delete(f"{one.url}/_localocean/faults").status_code == 204
    # A reset through one: the other forgets the accounts it knew the tokens by.
    key = {"name": "k", "public_key": openssh_key()}
    assert httpx.post(f"{two.url}/v2/account/keys", json=key, headers=headers).status_code == 201
    assert httpx.post(f"{one.url}/_localocean/reset", json={}).status_code == 200
    again = httpx.post(f"{two.url}/v2/account/keys", json=key, headers=headers)
    assert again.status_code == 201, again.text
    keys = httpx.get(f"{one.url}/v2/account/keys", headers=headers).json()["ssh_keys"]
    assert [k["id"] for k in keys] == [again.json()["ssh_key"]["id"]]


def test_rate_limits_hold_across_processes(start_server, shared_database) -> None:
    """Six requests a minute for one token, whichever process serves them: the processes
    exchange their counts four times a second, so at most a quarter second of requests gets
    through beyond the limit."""
    database, _ = shared_database
    one = start_server("--timing", "instant", "--rate-limit", "6/min", database=database)
    two = start_server("--timing", "instant", "--rate-limit", "6/min", database=database)
    headers = {"Authorization": f"Bearer {new_token()}"}
    answers = []
    for number in range(40):
        server = one if number % 2 == 0 else two
        answers.append(httpx.get(f"{server.url}/v2/account", headers=headers).status_code)
        time.sleep(0.05)  # a client's pace: twenty requests a second
    accepted = answers.count(200)
    assert 6 <= accepted <= 8, answers  # each alone would take 6: 12 in all
    assert answers[-2:] == [429, 429]


def test_the_journal_is_shared(start_server, shared_database) -> None:
    """Requests served by either process are in the journal read through either, at once;
    it keeps the newest `--journal-size` of them all; clearing it through one clears it."""
    database, _ = shared_database
    one = start_server("--timing", "instant", "--journal-size", "6", database=database)
    two = start_server("--timing", "instant", "--journal-size", "6", database=database)
    headers = {"Authorization": f"Bearer {new_token()}"}
    for number in range(8):
        server = one if number % 2 == 0 else two
        answer = httpx.get(f"{server.url}/v2/tags/t{number}", headers=headers)
        assert answer.status_code == 404
    for server in (one, two):
        answer = httpx.get(f"{server.url}/_localocean/requests")
        assert answer.status_code == 200, server.logs()[-3000:]
        entries = answer.json()["requests"]
        assert [entry["path"] for entry in entries] == [f"/v2/tags/t{n}" for n in range(2, 8)]
        assert entries[-1]["response_body"]["id"] == "not_found"
    matching = httpx.get(f"{two.url}/_localocean/requests", params={"path": "*/t3"}).json()
    assert [entry["path"] for entry in matching["requests"]] == ["/v2/tags/t3"]
    assert httpx.delete(f"{one.url}/_localocean/requests").status_code == 204
    httpx.get(f"{two.url}/v2/account", headers=headers)
    entries = httpx.get(f"{one.url}/_localocean/requests").json()["requests"]
    assert [entry["path"] for entry in entries] == ["/v2/account"]


def test_a_process_killed_during_a_burst_of_creates(start_server, clients, shared_database) -> None:
    """SIGKILL while creates are in flight: every acknowledged droplet is there, none is
    half-written (each has its create action, the list's total counts exactly what is
    listed, as does its tag), and the other process finishes what the dead one had scheduled."""
    database, _ = shared_database
    one = start_server("--timing", "realistic", database=database)
    two = start_server("--timing", "realistic", database=database)
    tokens = [new_token() for _ in range(16)]  # an account holds 25 droplets at most
    body = {"region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64", "tags": ["b"]}

    def create(number: int) -> int | None:
        try:
            with httpx.Client(base_url=one.url, timeout=10) as client:
                answer = client.post(
                    "/v2/droplets",
                    json={**body, "name": f"burst-{number}"},
                    headers={"Authorization": f"Bearer {tokens[number % len(tokens)]}"},
                )
        except httpx.HTTPError:
            return None  # the process died under it: not acknowledged
        assert answer.status_code == 202, answer.text
        return answer.json()["droplet"]["id"]

    with ThreadPoolExecutor(6) as pool:
        futures = [pool.submit(create, number) for number in range(20 * len(tokens))]
        while sum(future.done() for future in futures) < 60:
            time.sleep(0.01)  # let a few dozen land, then kill the process mid-burst
        one.stop(signal.SIGKILL)
        acknowledged = {future.result() for future in futures} - {None}
    assert 60 <= len(acknowledged) < 20 * len(tokens), "the kill came during the burst"
    moved = httpx.post(f"{two.url}/_localocean/clock/advance", json={"seconds": 600})
    assert moved.status_code == 200
    listed: list[dict] = []
    for token in tokens:
        with clients.http(two.url, token) as second:
            page = second.get("/v2/droplets", params={"per_page": 200}).json()
            droplets = page["droplets"]
            assert page["meta"]["total"] == len(droplets), "the count kept agrees with the rows"
            listed += droplets
            if not droplets:
                continue
            tag = second.get("/v2/tags/b").json()["tag"]["resources"]["droplets"]["count"]
            assert tag == len(droplets)
            assert {droplet["status"] for droplet in droplets} == {"active"}, "finished by two"
            actions = second.get("/v2/actions", params={"per_page": 200}).json()
            assert actions["meta"]["total"] == len(droplets)
            assert {(a["type"], a["status"]) for a in actions["actions"]} == {
                ("create", "completed")
            }
    assert acknowledged <= {droplet["id"] for droplet in listed}


def test_first_droplets_in_a_region_at_once_share_one_default_vpc(
    start_server, shared_database
) -> None:
    """The default VPC is made by whichever request needs it first; requests racing for it,
    on both processes, all succeed and find the same one."""
    database, _ = shared_database
    servers = (start_server(database=database), start_server(database=database))
    headers = {"Authorization": f"Bearer {new_token()}"}
    body = {"region": "ams3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}

    def create(number: int) -> httpx.Response:
        url = servers[number % 2].url
        return httpx.post(
            f"{url}/v2/droplets", json={**body, "name": f"d{number}"}, headers=headers
        )

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(create, range(8)))
    assert [answer.status_code for answer in answers] == [202] * 8, answers[0].text
    vpcs = httpx.get(f"{servers[1].url}/v2/vpcs", headers=headers).json()["vpcs"]
    assert [(vpc["name"], vpc["default"]) for vpc in vpcs] == [("default-ams3", True)]
    droplets = httpx.get(f"{servers[0].url}/v2/droplets", headers=headers).json()["droplets"]
    assert {droplet["vpc_uuid"] for droplet in droplets} == {vpcs[0]["id"]}


def test_concurrent_changes_to_one_resource_through_two_processes(
    start_server, shared_database
) -> None:
    """Requests changing one load balancer, one firewall or one volume at once, on both
    processes: the lists of droplets lose no addition, and one volume starts one action."""
    database, _ = shared_database
    servers = tuple(start_server("--timing", "instant", database=database) for _ in range(2))
    headers = {"Authorization": f"Bearer {new_token()}"}
    rule = {"entry_protocol": "http", "entry_port": 80, "target_protocol": "http",
            "target_port": 80}  # fmt: skip
    with httpx.Client(base_url=servers[0].url, headers=headers) as http:
        made = http.post("/v2/droplets", json={"names": [f"d{i}" for i in range(8)],
                         "region": "nyc1", "size": "s-1vcpu-1gb",
                         "image": "ubuntu-24-04-x64"})  # fmt: skip
        droplet_ids = [droplet["id"] for droplet in made.json()["droplets"]]
        lb = http.post("/v2/load_balancers", json={"name": "lb", "region": "nyc1",
                       "forwarding_rules": [rule]}).json()["load_balancer"]  # fmt: skip
        firewall = http.post("/v2/firewalls", json={"name": "fw", "inbound_rules": [
            {"protocol": "tcp", "ports": "22", "sources": {"addresses": ["0.0.0.0/0"]}}
        ]}).json()["firewall"]  # fmt: skip
        volume = http.post("/v2/volumes", json={"name": "vol", "region": "nyc1",
                           "size_gigabytes": 10}).json()["volume"]  # fmt: skip
        assert http.get(f"/v2/load_balancers/{lb['id']}").json()["load_balancer"]["status"] == (
            "active"
        )

    def at_once(path: str, body_for: Callable[[int], dict]) -> list[httpx.Response]:
        """Eight requests at once, alternating between the processes; the n-th names d<n>."""

        def send(n: int) -> httpx.Response:
            url = servers[n % 2].url + path
            return httpx.post(url, json=body_for(droplet_ids[n]), headers=headers)

        with ThreadPoolExecutor(8) as pool:
            return list(pool.map(send, range(8)))

    to_lb = at_once(f"/v2/load_balancers/{lb['id']}/droplets", lambda d: {"droplet_ids": [d]})
    assert {answer.status_code for answer in to_lb} == {204}
    to_firewall = at_once(f"/v2/firewalls/{firewall['id']}/droplets",
                          lambda d: {"droplet_ids": [d]})  # fmt: skip
    assert {answer.status_code for answer in to_firewall} == {204}
    attaches = at_once(f"/v2/volumes/{volume['id']}/actions",
                       lambda d: {"type": "attach", "region": "nyc1", "droplet_id": d})  # fmt: skip
    with httpx.Client(base_url=servers[1].url, headers=headers) as http:
        balanced = http.get(f"/v2/load_balancers/{lb['id']}").json()["load_balancer"]
        assert sorted(balanced["droplet_ids"]) == sorted(droplet_ids)
        guarded = http.get(f"/v2/firewalls/{firewall['id']}").json()["firewall"]
        assert sorted(guarded["droplet_ids"]) == sorted(droplet_ids)
        deadline = time.monotonic() + 10
        while guarded["status"] != "succeeded":  # the last change's transition, applied once
            assert time.monotonic() < deadline, guarded
            time.sleep(0.1)
            guarded = http.get(f"/v2/firewalls/{firewall['id']}").json()["firewall"]
        assert guarded["pending_changes"] == []
        accepted = [n for n, answer in enumerate(attaches) if answer.status_code == 202]
        assert len(accepted) == 1, [answer.text for answer in attaches]
        assert {answer.status_code for answer in attaches} <= {202, 422}
        reasons = {a.json()["message"] for a in attaches if a.status_code == 422}
        assert reasons <= {"This volume is already attached to another Droplet.",
                           "Volume already has a pending event."}, reasons  # fmt: skip
        attached = http.get(f"/v2/volumes/{volume['id']}").json()["volume"]["droplet_ids"]
        assert attached == [droplet_ids[accepted[0]]]

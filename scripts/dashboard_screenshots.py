"""Screenshots of the dashboard's main pages for the docs (docs/ui/*.png).

    PYTHONPATH=src .venv/bin/python scripts/dashboard_screenshots.py [docs/ui]

Starts a LocalOcean server (in memory, manual timing), makes a few resources through the API,
and photographs each page in headless Chromium (Debian's `chromium`, driven by Playwright).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.server import ServerProcess

UI = "/_localocean/ui"


def populate(url: str) -> tuple[str, str, str]:
    headers = {"Authorization": "Bearer dop_v1_screenshots"}
    with httpx.Client(base_url=url, headers=headers) as api:
        vpc = api.post("/v2/vpcs", json={"name": "prod-net", "region": "nyc1"}).json()["vpc"]
        for name in ("web-1", "web-2", "worker"):
            api.post(
                "/v2/droplets",
                json={
                    "name": name,
                    "region": "nyc1",
                    "size": "s-1vcpu-1gb",
                    "image": "ubuntu-24-04-x64",
                    "vpc_uuid": vpc["id"],
                    "tags": ["prod"],
                },
            )
        api.post("/v2/account/keys", json={"name": "laptop", "public_key": KEY})
        cluster = api.post(
            "/v2/kubernetes/clusters",
            json={
                "name": "prod",
                "region": "nyc1",
                "version": "latest",
                "vpc_uuid": vpc["id"],
                "node_pools": [{"name": "pool", "size": "s-2vcpu-4gb", "count": 2}],
            },
        ).json()["kubernetes_cluster"]
        httpx.post(f"{url}/_localocean/clock/advance", json={"seconds": 900})
        api.post(
            "/v2/droplets",
            json={"name": "batch", "region": "nyc1", "size": "s-1vcpu-1gb", "image": "none"},
        )
        api.post("/v2/volumes", json={"name": "data", "region": "nyc1", "size_gigabytes": 100})
        api.post("/v2/domains", json={"name": "shop.example", "ip_address": "192.0.2.10"})
        api.post("/v2/reserved_ips", json={"region": "nyc1"})
        rule = {"entry_protocol": "http", "entry_port": 80, "target_protocol": "http",
                "target_port": 80}  # fmt: skip
        api.post(
            "/v2/load_balancers",
            json={"name": "front", "region": "nyc1", "forwarding_rules": [rule], "tag": "prod"},
        )
        api.post("/v2/vpcs", json={"region": "nyc1"})  # a 422 for the journal
        account = api.get("/v2/account").json()["account"]["uuid"]
        kubeconfig = api.get(f"/v2/kubernetes/clusters/{cluster['id']}/kubeconfig").text
        token = kubeconfig.split("token: ", 1)[1].split()[0]
        httpx.get(
            f"{url}/k8s/{cluster['id']}/api/v1/nodes",
            headers={"Authorization": f"Bearer {token}"},
        )
        httpx.post(
            f"{url}/_localocean/faults",
            json={"method": "POST", "path": "/v2/droplets", "status": 503, "times": 2},
        )
        return account, cluster["id"], vpc["id"]


KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq8s2cJ8m8pI8o9wE3QyZ2m7m2Yb9w6kq1Jd0JX1aQz me@laptop"


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/ui")
    out.mkdir(parents=True, exist_ok=True)
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("chromium not found (apt-get install chromium)")
    server = ServerProcess(["--in-memory", "--timing", "manual"]).start()
    try:
        account, cluster, vpc = populate(server.url)
        pages = {
            "accounts": "#/",
            "account": f"#/a/{account}",
            "droplets": f"#/a/{account}/c/droplets",
            "cluster": f"#/a/{account}/r/kubernetes/clusters/{cluster}",
            "vpc": f"#/a/{account}/r/vpcs/{vpc}",
            "journal": "#/journal",
            "controls": "#/controls",
        }
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium)
            page = browser.new_page(viewport={"width": 1280, "height": 820})
            for name, view in pages.items():
                page.goto(f"{server.url}{UI}{view}")
                page.locator("#live.on").wait_for()
                page.wait_for_timeout(700)
                if name == "journal":
                    page.locator("tr.entry", has_text="422").first.click()
                    page.wait_for_timeout(500)
                page.screenshot(path=str(out / f"{name}.png"))
                print(out / f"{name}.png")
            browser.close()
    finally:
        server.close()


if __name__ == "__main__":
    main()

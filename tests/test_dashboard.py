"""The dashboard (/_localocean/ui) in a real headless Chromium, driven by Playwright: resources
appear live as clients make them, faults armed from the form fail the next call, the clock moved
from the page brings a cluster up, kubeconfigs download, the journal opens its bodies; strict
mode and the HTTPS proxy's tunnel keep it shut."""

from __future__ import annotations

import os
import shutil
import ssl
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import IN_CI, new_token

UI = "/_localocean/ui"
WAIT_MS = 15_000


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: required)")
    pytest.skip(reason)


def chromium_path() -> str | None:
    return os.environ.get("LOCALOCEAN_CHROMIUM") or shutil.which("chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        _unavailable("chromium not found (Debian's `chromium`; `make system-packages`)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (the test extras)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert not errors, f"the page's script failed: {errors}"


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def open_ui(page: Any, url: str, view: str = "#/") -> None:
    page.goto(f"{url}{UI}{view}")
    expect(page.locator("#live")).to_have_text("live", timeout=WAIT_MS)
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads


def still_same_document(page: Any) -> None:
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"


def account_uuid(http: httpx.Client) -> str:
    return http.get("/v2/account").json()["account"]["uuid"]


def slug(http: httpx.Client) -> str:
    return http.get("/v2/account").json()["account"]["email"].split("@")[0]


def test_resources_appear_live(page, server, http) -> None:
    uuid = account_uuid(http)
    open_ui(page, server.url, f"#/a/{uuid}/c/vpcs")
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(0)
    created = http.post("/v2/vpcs", json={"name": "live-net-1", "region": "nyc1"}).json()["vpc"]
    expect(page.locator("main table")).to_contain_text("live-net-1", timeout=WAIT_MS)
    http.post("/v2/vpcs", json={"name": "live-net-2", "region": "nyc1"})
    expect(rows).to_have_count(2, timeout=WAIT_MS)
    still_same_document(page)

    # The account's page counts them; a droplet's page shows its actions; a VPC its members.
    page.goto(f"{server.url}{UI}#/a/{uuid}")
    expect(page.locator("table.collections")).to_contain_text("vpcs", timeout=WAIT_MS)
    vpc_row = page.locator("table.collections tr", has_text="vpcs")
    expect(vpc_row.locator(".count-cell")).to_have_text("2", timeout=WAIT_MS)
    droplet = http.post(
        "/v2/droplets",
        json={
            "name": "live-web",
            "region": "nyc1",
            "size": "s-1vcpu-1gb",
            "image": "ubuntu-24-04-x64",
            "vpc_uuid": created["id"],
            "tags": ["live-tag"],
        },
    ).json()["droplet"]
    expect(page.locator("table.collections tr", has_text="droplets")).to_contain_text(
        "1", timeout=WAIT_MS
    )
    http.post(f"/v2/droplets/{droplet['id']}/actions", json={"type": "power_off"})
    page.goto(f"{server.url}{UI}#/a/{uuid}/r/droplets/{droplet['id']}")
    actions = page.locator("details.sub[data-name='actions']")
    expect(actions).to_contain_text("power_off", timeout=WAIT_MS)
    expect(actions).to_contain_text("create", timeout=WAIT_MS)
    expect(page.locator(".resource")).to_contain_text("live-web")
    page.goto(f"{server.url}{UI}#/a/{uuid}/r/vpcs/{created['id']}")
    expect(page.locator("details.sub[data-name='members']")).to_contain_text(
        "live-web", timeout=WAIT_MS
    )
    page.goto(f"{server.url}{UI}#/a/{uuid}/r/tags/live-tag")
    expect(page.locator("#tagged")).to_contain_text(str(droplet["id"]), timeout=WAIT_MS)

    # The overview lists the account with its tokens masked.
    page.goto(f"{server.url}{UI}#/")
    card = page.locator(".account", has=page.locator(f"a[href='#/a/{slug(http)}']"))
    expect(card.locator(".counts")).to_contain_text("droplets1", timeout=WAIT_MS)
    token = http.headers["authorization"].removeprefix("Bearer ")
    expect(card.locator(".tokens")).to_contain_text("sha256:")
    assert token not in page.content(), "the token itself is never shown"


def test_fault_armed_from_the_form_fails_the_next_call(page, server, http) -> None:
    token = http.headers["authorization"].removeprefix("Bearer ")
    open_ui(page, server.url, "#/controls")
    form = page.locator("#fault-form")
    form.locator("select[name=method]").select_option("GET")
    form.locator("input[name=path]").fill("/v2/account")
    form.locator("input[name=token]").fill(token)
    form.locator("input[name=status]").fill("503")
    form.locator("input[name=times]").fill("1")
    form.locator("button").click()
    rule_row = page.locator("#faults tr", has_text=token)
    expect(rule_row.locator(".budget")).to_have_text("1 of 1 left", timeout=WAIT_MS)

    failed = http.get("/v2/account")
    assert failed.status_code == 503 and failed.json()["id"] == "service_unavailable"
    assert http.get("/v2/account").status_code == 200, "its budget was one call"
    expect(rule_row).to_have_count(0, timeout=WAIT_MS)  # spent: gone from the list, live

    # Armed again, and deleted from the page: the call goes through.
    form.locator("input[name=times]").fill("")
    form.locator("button").click()
    expect(rule_row.locator(".budget")).to_have_text("until removed", timeout=WAIT_MS)
    rule_row.locator("button.remove-fault").click()
    expect(rule_row).to_have_count(0, timeout=WAIT_MS)
    assert http.get("/v2/account").status_code == 200
    still_same_document(page)


def test_clock_from_the_page_brings_a_cluster_up_and_its_kubeconfig_downloads(
    page, start_server, clients, tmp_path
) -> None:
    server = start_server("--timing", "manual")
    token = new_token()
    with clients.http(server.url, token) as http:
        uuid = account_uuid(http)
        cluster = http.post(
            "/v2/kubernetes/clusters",
            json={
                "name": "ui-cluster",
                "region": "nyc1",
                "version": "latest",
                "node_pools": [{"name": "pool", "size": "s-2vcpu-4gb", "count": 2}],
            },
        ).json()["kubernetes_cluster"]
    assert cluster["status"]["state"] == "provisioning"
    open_ui(page, server.url, f"#/a/{uuid}/r/kubernetes/clusters/{cluster['id']}")
    status = page.locator(".resource dd .status").first
    expect(status).to_have_text("provisioning", timeout=WAIT_MS)
    expect(page.locator(".scheduled")).to_contain_text("running", timeout=WAIT_MS)

    controls = page.context.new_page()
    controls.goto(f"{server.url}{UI}#/controls")
    expect(controls.locator("#clock-pending")).not_to_have_text("0", timeout=WAIT_MS)
    controls.locator("#advance-form input[name=seconds]").fill("3600")
    controls.locator("#advance-form button", has_text="Advance").click()
    expect(controls.locator("#clock-pending")).to_have_text("0", timeout=WAIT_MS)

    # The cluster's page, open all along, shows it running, its pools' nodes with droplets.
    expect(status).to_have_text("running", timeout=WAIT_MS)
    pools = page.locator("details.sub[data-name='node_pools']")
    expect(pools.locator("tbody tr")).to_have_count(2, timeout=WAIT_MS)
    expect(pools.locator("tbody tr").first.locator("a")).to_have_attribute(
        "href", f"#/a/{uuid}/r/droplets/" + pools.locator("tbody tr a").first.inner_text()
    )
    still_same_document(page)

    with page.expect_download() as waiting:
        page.locator("#kubeconfig").click()
    download = waiting.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.name == "ui-cluster-kubeconfig.yaml"
    text = saved.read_text()
    assert "kind: Config" in text and f"/k8s/{cluster['id']}" in text

    # Once a client has used the cluster's Kubernetes API, its nodes and their pods show.
    kubeconfig_token = text.split("token: ", 1)[1].split()[0]
    nodes = httpx.get(
        f"{server.url}/k8s/{cluster['id']}/api/v1/nodes",
        headers={"Authorization": f"Bearer {kubeconfig_token}"},
    )
    assert nodes.status_code == 200 and len(nodes.json()["items"]) == 2
    page.reload()
    expect(page.locator(".kube-node")).to_have_count(2, timeout=WAIT_MS)
    expect(page.locator("#kube")).to_contain_text("coredns", timeout=WAIT_MS)


def test_journal_shows_a_request_and_its_bodies(page, server, http) -> None:
    name = f"journal-{time.monotonic_ns()}"
    open_ui(page, server.url, "#/journal")
    page.locator("#journal-filter input[name=path]").fill("/v2/ssh_keys_nothing*")
    expect(page.locator("#journal")).to_contain_text("No requests match", timeout=WAIT_MS)
    page.locator("#journal-filter input[name=path]").fill("/v2/vpcs")
    page.locator("#journal-filter select[name=method]").select_option("POST")
    created = http.post("/v2/vpcs", json={"name": name, "region": "nyc1"})
    request_id = created.headers["x-request-id"]
    row = page.locator(f"tr.entry[data-id='{request_id}']")
    expect(row).to_contain_text("201", timeout=WAIT_MS)  # arrived live
    row.click()
    bodies = page.locator(f"tr.bodies[data-for='{request_id}']")
    expect(bodies.locator(".request-body")).to_contain_text(name, timeout=WAIT_MS)
    expect(bodies.locator(".response-body")).to_contain_text(created.json()["vpc"]["id"])
    # Filtered by status: a 422 shows, the 201 does not.
    http.post("/v2/vpcs", json={"region": "nyc1"})
    page.locator("#journal-filter input[name=status]").fill("4xx")
    expect(page.locator("tr.entry").first).to_contain_text("422", timeout=WAIT_MS)
    expect(row).to_have_count(0)
    still_same_document(page)


def test_strict_mode_needs_the_control_token(page, start_server) -> None:
    server = start_server("--control-token", "ui-secret")
    page.goto(f"{server.url}{UI}")
    assert page.url.endswith(f"{UI}/login"), "sent to the login page"
    assert httpx.get(f"{server.url}{UI}/api/accounts").status_code == 401
    page.goto(f"{server.url}{UI}/login?token=wrong")
    expect(page.locator(".error")).to_contain_text("not the control token")
    page.locator("input[name=token]").fill("ui-secret")
    page.locator("button").click()
    expect(page.locator("#live")).to_have_text("live", timeout=WAIT_MS)
    expect(page.locator("main h1")).to_contain_text("Accounts")
    cookie = next(c for c in page.context.cookies() if c["name"] == "localocean_ui")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == UI
    assert "ui-secret" not in cookie["value"]

    jar = {"localocean_ui": cookie["value"]}
    assert httpx.get(f"{server.url}{UI}/api/accounts", cookies=jar).status_code == 200
    # The cookie opens the dashboard's paths only, and changes need the page's header.
    assert httpx.get(f"{server.url}/_localocean/clock", cookies=jar).status_code == 401
    advance = f"{server.url}{UI}/control/clock/advance"
    assert httpx.post(advance, json={"seconds": 1}, cookies=jar).status_code == 401
    answer = httpx.post(advance, json={"seconds": 1}, cookies=jar, headers={"x-localocean-ui": "1"})
    assert answer.status_code == 200 and answer.json()["applied"] == 0
    bearer = {"Authorization": "Bearer ui-secret"}
    assert httpx.get(f"{server.url}{UI}/api/accounts", headers=bearer).status_code == 200
    page.goto(f"{server.url}{UI}/login?token=ui-secret")
    expect(page.locator("#live")).to_have_text("live", timeout=WAIT_MS)


def test_the_proxy_tunnel_never_reaches_the_dashboard(proxied) -> None:
    server, exported, _ = proxied
    ca = ssl.create_default_context(cafile=exported["SSL_CERT_FILE"])
    https_url = server.url.replace("http://", "https://")
    with (
        httpx.Client(base_url=https_url, verify=ca, trust_env=False) as direct,
        httpx.Client(
            base_url="https://api.digitalocean.com", verify=ca, proxy=server.url, trust_env=False
        ) as tunneled,
        httpx.Client(
            base_url="http://api.digitalocean.com", proxy=server.url, trust_env=False
        ) as plain_proxy,
    ):
        for path in (UI, f"{UI}/api/accounts", f"{UI}/login?token=x", f"{UI}/control/clock"):
            assert tunneled.get(path).status_code == 404, path
            # A proxy client's connection carries requests for any host: each is judged alone.
            assert plain_proxy.get(server.url + path).status_code in (200, 303), path
            assert plain_proxy.get(path).status_code == 404, path
            assert direct.get(path).status_code in (200, 303), path  # open mode: login leads in
        # The API itself still answers through the tunnel.
        assert tunneled.get("/v2/regions", headers={"Authorization": "Bearer t"}).status_code == 200


def test_swagger_ui_works_offline(page, server) -> None:
    outside: list[str] = []

    def only_local(route: Any) -> None:
        url = route.request.url
        if url.startswith(server.url) or url.startswith("data:"):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", only_local)
    page.goto(f"{server.url}/docs")
    expect(page.locator(".opblock-summary-path").first).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#swagger-ui")).to_contain_text("/v2/droplets")
    assert not outside, f"/docs asked for {outside}"
    page.goto(f"{server.url}/")
    page.locator("a", has_text="Dashboard").click()
    expect(page.locator("#live")).to_have_text("live", timeout=WAIT_MS)


def test_ten_thousand_resources_are_paged(page, start_server, backend) -> None:
    """10⁴ resources: the account page counts them, the list shows one page of them (its
    speed is `make bench`'s to measure, not a test's)."""
    if backend.name != "sqlite":
        pytest.skip("the pages read the same SQL on both; seeding 10^4 is slow on PostgreSQL")
    server = start_server()
    keys = [{"name": f"tag-{n:05d}"} for n in range(10_000)]
    seeded = httpx.post(
        f"{server.url}/_localocean/seed",
        json={"accounts": [{"name": "big", "tags": [k["name"] for k in keys]}]},
        timeout=120,
    )
    assert seeded.status_code == 201, seeded.text
    open_ui(page, server.url, "#/")
    for view, shown in (("#/a/big", "10000"), ("#/a/big/c/tags", "tag-00000")):
        page.goto(f"{server.url}{UI}{view}")
        expect(page.locator("main")).to_contain_text(shown, timeout=WAIT_MS)
    expect(page.locator(".pager")).to_contain_text("page 1 of 400")

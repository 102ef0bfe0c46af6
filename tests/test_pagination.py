"""Pagination links as DigitalOcean writes them, over several pages."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit


def page_of(link: str) -> int:
    return int(parse_qs(urlsplit(link).query)["page"][0])


def test_links_over_several_pages(http, server) -> None:
    for index in range(7):
        assert http.post("/v2/tags", json={"name": f"tag-{index}"}).status_code == 201
    first = http.get("/v2/tags", params={"per_page": 3}).json()
    assert [t["name"] for t in first["tags"]] == ["tag-0", "tag-1", "tag-2"]
    assert first["meta"]["total"] == 7
    pages = first["links"]["pages"]
    assert set(pages) == {"next", "last"}
    for link in pages.values():
        assert link.startswith(f"{server.url}/v2/tags?"), link
        assert parse_qs(urlsplit(link).query)["per_page"] == ["3"]
    assert (page_of(pages["next"]), page_of(pages["last"])) == (2, 3)

    middle = http.get(pages["next"]).json()
    assert [t["name"] for t in middle["tags"]] == ["tag-3", "tag-4", "tag-5"]
    pages = middle["links"]["pages"]
    assert set(pages) == {"first", "prev", "next", "last"}
    assert [page_of(pages[k]) for k in ("first", "prev", "next", "last")] == [1, 1, 3, 3]

    last = http.get(pages["last"]).json()
    assert [t["name"] for t in last["tags"]] == ["tag-6"]
    assert set(last["links"]["pages"]) == {"first", "prev"}, "the last page has no next"
    assert page_of(last["links"]["pages"]["prev"]) == 2


def test_following_next_collects_everything_once(http) -> None:
    listed = http.get("/v2/regions", params={"per_page": 4}).json()
    seen = [r["slug"] for r in listed["regions"]]
    while "next" in listed["links"].get("pages", {}):
        listed = http.get(listed["links"]["pages"]["next"]).json()
        seen += [r["slug"] for r in listed["regions"]]
    assert len(seen) == len(set(seen)) == listed["meta"]["total"]


def test_single_page_has_empty_links_and_page_bounds(http) -> None:
    single = http.get("/v2/vpcs").json()
    assert single["links"] == {}
    assert single["meta"] == {"total": 0}
    everything = http.get("/v2/sizes", params={"per_page": 500}).json()
    assert len(everything["sizes"]) == everything["meta"]["total"], "per_page is capped at 200"
    beyond = http.get("/v2/regions", params={"page": 99, "per_page": 5}).json()
    assert beyond["regions"] == []
    assert page_of(beyond["links"]["pages"]["prev"]) == 3
    tolerant = http.get("/v2/regions", params={"page": "x", "per_page": "0"}).json()
    assert len(tolerant["regions"]) == min(20, tolerant["meta"]["total"])


def test_links_follow_the_host_the_client_used(http, server) -> None:
    port = server.url.rsplit(":", 1)[1]
    listed = http.get(f"http://localhost:{port}/v2/sizes", params={"per_page": 10}).json()
    assert listed["links"]["pages"]["next"].startswith(f"http://localhost:{port}/v2/sizes?")


def test_totals_follow_creates_deletes_resets_and_state_loads(http, anonymous) -> None:
    """Totals of long lists are kept as resources come and go, not counted on each request."""

    def totals() -> dict[str, int]:
        lists = {"tags": {}, "vpcs": {}, "images": {"private": "true"}}
        return {
            key: http.get(f"/v2/{key}", params={**query, "per_page": 2}).json()["meta"]["total"]
            for key, query in lists.items()
        }

    for index in range(6):
        assert http.post("/v2/tags", json={"name": f"t{index}"}).status_code == 201
        vpc = {"name": f"net-{index}", "region": "nyc1"}
        assert http.post("/v2/vpcs", json=vpc).status_code == 201
        image = {"name": f"i{index}", "url": "http://127.0.0.1:9/disk.img", "region": "nyc3"}
        assert http.post("/v2/images", json=image).status_code == 202
    assert http.post("/v2/tags", json={"name": "T0"}).status_code == 201, "the same tag"
    assert totals() == {"tags": 6, "vpcs": 6, "images": 6}

    assert http.delete("/v2/tags/t1").status_code == 204
    vpcs = http.get("/v2/vpcs", params={"per_page": 200}).json()["vpcs"]
    spare = next(v for v in vpcs if not v["default"])
    assert http.delete(f"/v2/vpcs/{spare['id']}").status_code == 204
    own = http.get("/v2/images", params={"private": "true"}).json()["images"]
    assert http.delete(f"/v2/images/{own[0]['id']}").status_code in (204, 422)
    expected = {"tags": 5, "vpcs": 5, "images": 5 if own[0]["status"] != "deleted" else 6}
    assert totals() == expected

    state = anonymous.get("/_localocean/state").json()
    assert anonymous.put("/_localocean/state", json=state).status_code == 200
    assert totals() == expected, "recounted after a state load"

    account = http.get("/v2/account").json()["account"]["uuid"]
    assert anonymous.post("/_localocean/reset", json={"account": account}).status_code == 200
    assert totals() == {"tags": 0, "vpcs": 0, "images": 0}

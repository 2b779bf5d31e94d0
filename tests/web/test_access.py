"""Who is served what: loopback or a trusted proxy, officers' provinces, headers, no writes."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests.web.web_support import HEADER, Site, client, make_app, opened
from web.security import CSP

PAGES = ("/", "/cases", "/procedures", "/audit")


def test_a_province_officer_sees_their_province_only(app: Starlette, site: Site) -> None:
    c = client(app, "cm")  # a TH-50 province officer
    assert c.get(f"/cases/{site.chiang_mai}").status_code == 200
    other = c.get(f"/cases/{site.bangkok}")
    assert other.status_code == 404  # the same answer as for a case that does not exist
    assert other.text.count(site.bangkok) == 1 and "TH-10" not in other.text
    assert c.get(f"/cases/{site.bangkok}/diagram.svg").status_code == 404
    listed = c.get("/cases").text
    assert site.chiang_mai in listed and site.bangkok not in listed
    assert c.get("/cases?province=TH-10").status_code == 404
    assert c.get("/cases?province=เชียงใหม่").status_code == 200
    assert site.bangkok not in c.get("/").text
    assert c.get("/?province=Bangkok").status_code == 404
    log = c.get("/audit").text
    assert site.chiang_mai in log and site.bangkok not in log
    assert "add_officer" not in log  # events of no province are not theirs
    assert c.get(f"/audit?case={site.bangkok}").text.count('<th scope="row">#') == 0
    assert c.get("/audit?province=TH-10").status_code == 404
    exported = c.get("/audit/export.csv").text
    assert site.chiang_mai in exported and site.bangkok not in exported


def test_the_other_province_is_symmetric(app: Starlette, site: Site) -> None:
    c = client(app, "bkk")
    assert c.get(f"/cases/{site.bangkok}").status_code == 200
    assert c.get(f"/cases/{site.chiang_mai}").status_code == 404


@pytest.mark.parametrize("login", ["aud", "dir"])
def test_auditors_and_ministry_see_every_province(app: Starlette, site: Site, login: str) -> None:
    c = client(app, login)
    for reference in (site.chiang_mai, site.bangkok):
        assert c.get(f"/cases/{reference}").status_code == 200
    listed = c.get("/cases").text
    assert site.chiang_mai in listed and site.bangkok in listed


def test_the_proxy_must_name_a_registered_officer(app: Starlette) -> None:
    missing = client(app, None).get("/")
    assert missing.status_code == 403 and f"&#39;{HEADER}&#39;" in missing.text
    unknown = client(app, "mallory").get("/")
    assert unknown.status_code == 403  # said in the page's language (Thai unless ?lang=en)
    assert "&#39;mallory&#39; ไม่ใช่เจ้าหน้าที่ที่ลงทะเบียนไว้" in unknown.text
    in_english = client(app, "mallory").get("/?lang=en")
    assert "&#39;mallory&#39; is not a registered officer" in in_english.text
    elsewhere = client(app, "aud", peer="10.1.2.3").get("/")
    assert elsewhere.status_code == 403  # the header is believed from the proxy only
    assert "aud" not in elsewhere.text


def test_trusted_proxies_are_configurable(site: Site) -> None:
    with opened(site, trusted_proxies=("192.0.2.10",)) as app:
        assert client(app, "aud", peer="192.0.2.10").get("/").status_code == 200
        assert client(app, "aud", peer="127.0.0.1").get("/").status_code == 403


@pytest.fixture
def local_app(site: Site) -> Iterator[Starlette]:
    """Served without a trusted header, as the training database's auditor."""
    with opened(site, trusted_header=None, as_officer="auditor") as app:
        yield app


def test_without_a_trusted_header_only_loopback_is_served(local_app: Starlette) -> None:
    app = local_app
    local = TestClient(app, base_url="http://127.0.0.1:8000", client=("127.0.0.1", 5000))
    assert local.get("/").status_code == 200
    assert "ผู้ตรวจสอบ (auditor)" in local.get("/").text  # the officer running the server
    assert local.get("/", headers={HEADER: "cm"}).status_code == 200  # the header means nothing
    v6 = TestClient(app, base_url="http://[::1]:8000", client=("::1", 5000))
    assert v6.get("/").status_code == 200
    by_name = TestClient(app, base_url="http://localhost:8000", client=("127.0.0.1", 5000))
    assert by_name.get("/").status_code == 200
    remote = TestClient(app, base_url="http://127.0.0.1", client=("192.0.2.7", 5000))
    response = remote.get("/")
    assert response.status_code == 403 and "\n" not in response.text.strip()
    rebound = TestClient(app, base_url="http://attacker.example", client=("127.0.0.1", 5000))
    assert rebound.get("/").status_code == 403  # DNS rebinding: a foreign Host is refused


def test_serving_needs_an_officer(site: Site) -> None:
    from workflow.errors import WorkflowError

    with pytest.raises(WorkflowError, match="no officer is registered for OS login"):
        make_app(site, trusted_header=None, os_login="nobody-here")


@pytest.mark.parametrize("path", [*PAGES, "/static/site.css"])
def test_security_headers(app: Starlette, path: str) -> None:
    response = client(app).get(path)
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CSP
    assert "frame-ancestors 'none'" in CSP and "script-src" not in CSP
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "server" not in response.headers


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_there_is_no_write_endpoint(app: Starlette, site: Site, method: str) -> None:
    c = client(app)
    paths = [*PAGES, f"/cases/{site.chiang_mai}", "/audit/export.csv", "/static/site.css"]
    for path in paths:
        response = c.request(method, path)
        assert response.status_code == 405, (method, path)


def test_head_is_answered(app: Starlette, site: Site) -> None:
    c = client(app)
    for path in (*PAGES, f"/cases/{site.chiang_mai}"):
        response = c.head(path)
        assert response.status_code == 200 and response.content == b""


def test_pages_need_no_script(app: Starlette, site: Site) -> None:
    c = client(app)
    for path in (*PAGES, f"/cases/{site.chiang_mai}", f"/cases/{site.bangkok}"):
        html = c.get(path).text
        assert not re.search(r"<script|javascript:|\son[a-z]+=", html, re.I), path
        assert " style=" not in html, path  # the CSP allows no inline style either

"""Every page and every filter of the web view, in Thai and English, through the test client."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text
from starlette.applications import Starlette

from store import SqlAlchemyUnitOfWork
from store.demo import STEPS
from tests.web.web_support import NOW, Site, client
from workflow.followup import overdue_cases
from workflow.thaidate import local_date

REFERENCE = re.compile(r"SC-\d{4}-\d{4}")


def references(html: str) -> set[str]:
    """Case references linked from a page."""
    return set(re.findall(r'href="/cases/(SC-\d{4}-\d{4})', html))


def one_line_error(html: str) -> str:
    message = re.search(r'<p class="message">(.*?)</p>', html, re.S)
    assert message is not None, html
    text = message.group(1)
    assert "\n" not in text and "Traceback" not in html
    return text


@pytest.mark.graphviz
@pytest.mark.parametrize(
    ("lang", "words", "date"),
    [
        ("th", ("ภาพรวม", "ผู้ดำเนินการขั้นต่อไป", "ประวัติทั้งหมด"), "31 มี.ค. 2567"),
        ("en", ("Dashboard", "Who acts next", "Full history"), "2024-03-31"),
    ],
)
def test_every_page_in_both_languages(
    app: Starlette, site: Site, lang: str, words: tuple[str, ...], date: str
) -> None:
    c = client(app)
    pages = {
        "/": words[0],
        "/cases": site.chiang_mai,
        f"/cases/{site.chiang_mai}": words[1],
        "/procedures": "provincial v1",
        "/procedures?procedure=provincial&version=1": "provincial v1",
        "/audit": "export.jsonl",
    }
    for path, expected in pages.items():
        sep = "&" if "?" in path else "?"
        response = c.get(f"{path}{sep}lang={lang}")
        assert response.status_code == 200, (path, response.text[:300])
        assert f'<html lang="{lang}">' in response.text
        assert expected in response.text, path
        assert "<script" not in response.text
    case_page = c.get(f"/cases/{site.chiang_mai}?lang={lang}").text
    assert words[2] in case_page
    assert date in case_page  # the signing date: Buddhist Era in Thai, ISO in English
    assert '<svg class="diagram" role="img"' in case_page
    picture = c.get(f"/cases/{site.chiang_mai}/diagram.svg?lang={lang}")
    assert picture.status_code == 200
    assert picture.headers["content-type"].startswith("image/svg+xml")


def test_thai_is_the_default_and_links_keep_the_language(app: Starlette, site: Site) -> None:
    c = client(app)
    thai = c.get("/cases").text
    assert '<html lang="th">' in thai and "เรื่อง" in thai
    assert 'href="/cases?lang=en"' in thai  # the switch
    english = c.get("/cases?lang=en").text
    assert f'href="/cases/{site.chiang_mai}?lang=en"' in english
    assert 'href="/cases"' in english  # switching back drops lang


def test_case_list_filters(app: Starlette, site: Site) -> None:
    c = client(app)
    both = {site.chiang_mai, site.bangkok}

    def listed(query: str) -> set[str]:
        response = c.get(f"/cases?{query}")
        assert response.status_code == 200, (query, response.text[:400])
        return references(response.text)

    assert listed("") == both
    for name in ("เชียงใหม่", "Chiang Mai", "chiangmai", "TH-50"):
        assert listed(f"province={name}") == {site.chiang_mai}, name
    assert listed("province=กทม.") == {site.bangkok}
    assert listed("state=active") == {site.chiang_mai}
    assert listed("state=proposal_draft") == {site.bangkok}
    assert listed("phase=follow_up") == {site.chiang_mai}
    assert listed("phase=proposal") == {site.bangkok}
    assert listed("phase=cabinet") == set()
    assert listed("overdue=1") == {site.bangkok}
    assert listed("overdue=0") == both
    assert listed("procedure=provincial") == both
    assert listed("procedure=provincial&version=1") == both
    assert listed("version=2") == set()
    assert listed("fy=2564") == {site.chiang_mai}  # opened May 2021
    assert listed("fy=2567") == {site.bangkok}  # opened January 2024
    assert listed("signed_fy=2567") == {site.chiang_mai}  # signed 31 March 2024
    assert listed("signed_fy=2568") == set()
    assert listed("province=TH-50&state=active&phase=follow_up&fy=2564") == {site.chiang_mai}
    assert listed("page=1") == both
    assert c.get("/cases?page=2").status_code == 404
    english = c.get("/cases?lang=en&overdue=1").text
    assert "1 cases found" in english and "Overdue" in english


def test_overdue_filter_agrees_with_the_library(app: Starlette, site: Site) -> None:
    expected = {
        o.reference for o in overdue_cases(SqlAlchemyUnitOfWork(site.engine), local_date(NOW))
    }
    assert references(client(app).get("/cases?overdue=1").text) == expected


def test_dashboard_filters(app: Starlette, site: Site) -> None:
    c = client(app)
    page = c.get("/").text
    assert "ปีงบประมาณ 2568" in page  # the fiscal year of the clock
    assert site.bangkok in page  # overdue list
    assert 'role="img"' in page and "<title" in page  # charts as SVG with a name
    english = c.get("/?lang=en&fy=2567&province=Chiang+Mai").text
    assert "Indicators, fiscal year 2567" in english and "Chiang Mai" in english
    assert site.bangkok not in english  # Bangkok's overdue case is not Chiang Mai's
    assert c.get("/?province=Bangkok").status_code == 200


def test_procedure_page_lists_steps_roles_and_documents(app: Starlette) -> None:
    page = client(app).get("/procedures?lang=en&version=1").text
    assert "Provincial committee review" in page
    assert "Head of the Provincial Office" in page  # a role
    assert "Suitability study" in page  # a required document
    assert "Cabinet approves before signing" in page  # a setting
    assert client(app).get("/procedures?procedure=provincial&version=9").status_code == 404


def test_audit_log_filters(app: Starlette, site: Site) -> None:
    c = client(app)

    def rows(query: str) -> list[str]:
        response = c.get(f"/audit?{query}")
        assert response.status_code == 200, (query, response.text[:400])
        return re.findall(r'<th scope="row">#(\d+)</th>', response.text)

    everything = rows("")
    assert len(everything) == int(everything[0]) > 20  # one page, newest first
    assert [int(s) for s in everything] == sorted((int(s) for s in everything), reverse=True)
    assert rows("before=10") == [str(n) for n in range(9, 0, -1)]
    by_case = rows(f"case={site.bangkok.lower()}")
    assert len(by_case) == 1
    assert set(rows("officer=bkk-opener")) == set(by_case)
    assert set(rows("province=Bangkok")) == set(by_case)
    assert rows("province=TH-50&since=2024-11-20&until=2024-12-01") == rows(
        "province=เชียงใหม่&since=2567-11-20&until=2567-12-01"
    )
    assert len(rows("since=2024-11-20&until=2024-12-01")) == 2  # the activity and the plan
    assert len(rows("trigger=record_activity")) == 1
    assert rows("since=2030-01-01") == []


@pytest.mark.parametrize(
    "url",
    [
        "/cases?fy=2024",
        "/cases?fy=abc",
        "/cases?state=nowhere",
        "/cases?phase=bogus",
        "/cases?province=Atlantis",
        "/cases?overdue=maybe",
        "/cases?page=0",
        "/cases?version=x",
        "/cases?colour=red",
        "/cases?state=active&state=dormant",
        "/cases?lang=fr",
        "/?fy=3000",
        "/audit?since=2024-13-01",
        "/audit?since=2024-02-01&until=2024-01-01",
        "/audit?before=-1",
        "/audit/export.csv?until=yesterday",
        "/procedures?procedure=nope",
        "/cases?partner=" + "x" * 300,
    ],
)
def test_bad_parameters_are_one_line_400s(app: Starlette, url: str) -> None:
    response = client(app).get(url)
    assert response.status_code == 400, (url, response.text[:300])
    one_line_error(response.text)


def test_unknown_pages_and_cases_are_404(app: Starlette) -> None:
    c = client(app)
    for url in ("/nowhere", "/cases/SC-2500-9999", "/cases/SC-2500-9999/diagram.svg"):
        response = c.get(url)
        assert response.status_code == 404, url
        one_line_error(response.text)


def test_stored_text_is_escaped(app: Starlette, site: Site) -> None:
    c = client(app)
    for url in (f"/cases/{site.bangkok}", "/cases", "/audit?case=" + site.bangkok):
        html = c.get(url).text
        assert "<script" not in html, url
        assert "&lt;script&gt;" in html, url


@pytest.mark.graphviz
def test_case_path_is_marked_on_the_procedure(app: Starlette, site: Site) -> None:
    html = client(app).get(f"/cases/{site.chiang_mai}").text
    assert 'id="node__active" class="node state current"' in html
    assert 'id="node__suitability_study" class="node state visited"' in html
    assert 'id="node__rejected" class="node final faded"' in html
    assert (
        'id="edge__suitability_study__provincial_committee_review" class="edge step taken"' in html
    )
    steps = re.findall(r"<caption>ลำดับการเคลื่อนของเรื่อง</caption>", html)
    assert steps


def test_who_acts_next_names_steps_roles_and_documents(app: Starlette, site: Site) -> None:
    html = client(app).get(f"/cases/{site.bangkok}?lang=en").text
    section = html.split('id="next-h"')[1].split("</section>")[0]
    assert "Provincial foreign-affairs officer" in section  # who may begin the study
    html = client(app).get(f"/cases/{site.chiang_mai}?lang=en").text
    section = html.split('id="next-h"')[1].split("</section>")[0]
    assert "Record an activity" in section or "activity" in section.lower()
    assert "Activity date" in section  # what recording an activity requires


def test_documents_download_checked_against_their_hash(app: Starlette, site: Site) -> None:
    c = client(app)
    html = c.get(f"/cases/{site.chiang_mai}?lang=en").text
    link = f"/cases/{site.chiang_mai}/documents/{site.evidence_sha256}"
    assert f'href="{link}?lang=en" download' in html
    assert "recorded by hash only" in html  # the approval documents
    response = c.get(link)
    assert response.status_code == 200
    assert response.content == site.evidence
    assert response.headers["x-sha256"] == site.evidence_sha256
    assert response.headers["content-type"] == "application/octet-stream"
    assert "attachment" in response.headers["content-disposition"]
    study = STEPS[1][3]["suitability_study"]["sha256"]  # recorded by hash only
    assert c.get(f"/cases/{site.chiang_mai}/documents/{study}").status_code == 404
    assert c.get(f"/cases/{site.chiang_mai}/documents/{'0' * 64}").status_code == 404
    assert c.get(f"/cases/{site.bangkok}/documents/{site.evidence_sha256}").status_code == 404


def test_a_corrupted_document_is_refused(app: Starlette, site: Site) -> None:
    with site.engine.begin() as conn:
        conn.execute(
            text("UPDATE documents SET content = :c WHERE sha256 = :s"),
            {"c": b"tampered", "s": site.evidence_sha256},
        )
    response = client(app).get(f"/cases/{site.chiang_mai}/documents/{site.evidence_sha256}")
    assert response.status_code == 409
    assert "ไม่ตรงกับค่าแฮช" in one_line_error(response.text)  # in the page's language

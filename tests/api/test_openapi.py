"""/openapi.json covers every endpoint; /docs uses local assets and works under the CSP."""

import pytest

from tests.web.browser_helpers import CHROMIUM, CHROMIUM_ARGS
from tests.serve_helpers import serve


def test_openapi_documents_every_endpoint(client):
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    assert {
        "/api/predict",
        "/api/update-feedback",
        "/api/statistics",
        "/api/predictions",
        "/api/predictions/{prediction_id}",
        "/health",
    } <= set(paths)
    upload = paths["/api/predict"]["post"]["requestBody"]["content"]["multipart/form-data"]
    schema = spec["components"]["schemas"][upload["schema"]["$ref"].rsplit("/", 1)[-1]]
    assert {"file", "rgpd_consent"} <= set(schema["properties"])
    assert {"200", "400", "401", "413", "415", "503"} <= set(
        paths["/api/predict"]["post"]["responses"]
    )


def test_the_docs_say_where_the_token_for_authorize_comes_from(client):
    spec = client.get("/openapi.json").get_json()
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    for said in (spec["info"]["description"], scheme["description"]):  # atop /docs; the dialog
        assert "`API_TOKEN`" in said and "`API_TOKENS`" in said and "make run" in said
        assert "api-token --show" in said and "docs/api.md" in said
    assert "**Authorize**" in spec["info"]["description"]
    assert "503" in spec["paths"]["/api/model/reload"]["post"]["responses"]  # registry down


def test_docs_are_served_with_local_assets(client):
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/docs/assets/swagger-ui-bundle.js" in html and "https://" not in html
    with client.get("/docs/assets/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200 and b"SwaggerUIBundle" in asset.data


def test_the_docs_page_leads_back_to_the_app(client):
    html = client.get("/docs").get_data(as_text=True)
    assert '<a href="/">← catsdogs</a>' in html and "css/docs.css" in html


@pytest.mark.system
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent")
def test_the_docs_page_works_under_the_policy(app):
    from playwright.sync_api import sync_playwright

    problems = []
    with serve(app) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on(
            "console", lambda m: m.type == "error" and problems.append(f"{m.text} {m.location}")
        )
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status} {r.url}"))
        page.goto(f"{url}/docs")
        page.wait_for_selector("#operations-predict-post_api_predict", timeout=15_000)
        page.get_by_role("link", name="← catsdogs").click()
        page.wait_for_url(f"{url}/")
        browser.close()
    assert problems == []

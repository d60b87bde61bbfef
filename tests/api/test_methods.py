"""Methods no route serves: answered 405 before Flask, with Allow, and never a new metric series."""

import pytest

from tests.monitoring.test_metrics import scrape

INVENTED = ("BREW", "PROPFIND", "PATCH", "X-PROBE-1", "X-PROBE-2")


@pytest.mark.parametrize("path", ["/api/predict", "/", "/nowhere"])
def test_an_unserved_method_is_405_in_json_with_the_methods_served(client, path):
    response = client.open(path, method="BREW")
    assert response.status_code == 405
    assert response.json == {
        "error": "method_not_allowed",
        "message": "This method is not allowed here.",
    }
    assert response.headers["Allow"] == "DELETE, GET, HEAD, OPTIONS, POST"


def test_served_methods_still_reach_the_app(client):
    assert client.get("/health/live").status_code == 200
    assert client.head("/health/live").status_code == 200
    assert client.options("/api/predict").status_code == 200
    assert client.delete("/health/live").status_code == 405  # served elsewhere: Flask's answer


def test_invented_methods_add_no_metric_series(client):
    scrape(client)  # the scrape's own series exist from here on
    before = scrape(client)
    for method in INVENTED:
        for path in ("/api/predict", "/health/live", "/nowhere"):
            client.open(path, method=method)
    after = scrape(client)
    assert set(after) == set(before)
    assert not [key for key in after if ("method", "BREW") in key[1]]
    refused = ("cv_errors_total", (("code", "method_not_allowed"),))
    assert after[refused] - before[refused] == 3 * len(INVENTED)

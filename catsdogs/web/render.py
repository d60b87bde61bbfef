"""Render a whole page, or only its partial when htmx asks for a fragment."""

from flask import Response, make_response, render_template, request


def wants_fragment() -> bool:
    """True for htmx requests that swap a part of the page (not boosts, not history restores)."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render(page: str, partial: str, status: int = 200, **context: object) -> Response:
    """The partial for htmx (always 200: htmx 2 does not swap 4xx), else the page with `status`."""
    fragment = wants_fragment()
    response = make_response(
        render_template(partial if fragment else page, **context), 200 if fragment else status
    )
    response.vary.add("HX-Request")
    response.vary.add("Accept-Language")  # the words follow it when the session chose none
    return response

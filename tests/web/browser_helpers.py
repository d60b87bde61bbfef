"""A real server and a real browser for the end-to-end tests: waitress in a thread, Chromium."""

from pathlib import Path

from catsdogs.security import CONTENT_SECURITY_POLICY
from tests import serve_helpers

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "vendor" / "axe-core-4.11.0.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PORTS = (17000, 17999)
# What production sends (no inline script or style at all; data: images for the heatmap), set
# here too since the served app may run without the security headers' defaults.
CSP = CONTENT_SECURITY_POLICY
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      targets: v.nodes.map(n => n.target.join(" "))}));
}"""


def add_csp(app) -> None:
    @app.after_request
    def content_security_policy(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        return response


def serve(app):
    """Serve `app` with waitress on a free port of the browser tests' range; yield its URL."""
    return serve_helpers.serve(app, ports=PORTS)

"""Shared fixtures for the Python interop suites: the run's configuration (written by
interop/run.sh), an HTTP user agent that fills Oxid's login and consent forms, the
known-failing list and loud skips."""

import html
import json
import os
import re
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

HERE = Path(__file__).resolve().parent


def _config():
    path = os.environ.get("OXID_INTEROP_CONFIG")
    if not path:
        raise RuntimeError("OXID_INTEROP_CONFIG is not set: run the suites through interop/run.sh")
    return json.loads(Path(path).read_text())


@pytest.fixture(scope="session")
def cfg():
    return _config()


@pytest.fixture(scope="session")
def discovery(cfg):
    r = requests.get(cfg["issuer"] + "/.well-known/openid-configuration", timeout=10)
    r.raise_for_status()
    return r.json()


def skip_loud(what):
    """A skip that says so: prints `SKIPPED: ...` and marks the test skipped."""
    line = f"SKIPPED: {what}"
    print(line, flush=True)
    pytest.skip(line)


# ---- known-failing tests (interop/known-failing.txt) -----------------------------------
def _known_failing():
    known = {}
    path = HERE.parent / "known-failing.txt"
    if not path.exists():
        return known
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        entry, _, reason = line.partition(" # ")
        suite, sep, name = entry.partition(":")
        if sep:
            known[(suite.strip(), name.strip())] = reason.strip()
    return known


KNOWN = _known_failing()
SUITE_OF = {"test_authlib.py": "authlib", "test_simple_openid_connect.py": "simple-openid-connect",
            "test_metrics.py": "metrics"}


def pytest_collection_modifyitems(config, items):
    # A listed test still runs: strict xfail reports it as KNOWN-FAILING while it fails and
    # fails the run once it passes, so the list is kept honest.
    for item in items:
        suite = SUITE_OF.get(Path(str(item.fspath)).name)
        reason = KNOWN.get((suite, item.name))
        if reason is not None:
            print(f"!!! KNOWN-FAILING {suite}: {item.name} -- {reason}")
            item.add_marker(pytest.mark.xfail(reason=f"KNOWN-FAILING: {reason}", strict=True))


# ---- a minimal user agent --------------------------------------------------------------
def _attr(tag, name):
    m = re.search(r'\s' + name + r'\s*=\s*"([^"]*)"', tag, re.I)
    return html.unescape(m.group(1)) if m else None


def parse_form(page, base):
    m = re.search(r"<form\b[^>]*>", page, re.I)
    if not m:
        return None
    body = page[m.start(): page.find("</form>", m.start())]
    fields = {}
    for tag in re.findall(r"<input\b[^>]*>", body, re.I):
        name = _attr(tag, "name")
        if name and (_attr(tag, "type") or "text").lower() == "hidden":
            fields[name] = _attr(tag, "value") or ""
    return {
        "action": urljoin(base, _attr(m.group(0), "action") or base),
        "method": (_attr(m.group(0), "method") or "get").upper(),
        "fields": fields,
        "password": re.search(r'<input\b[^>]*name\s*=\s*"password"', body, re.I) is not None,
        "decision": re.search(r'<button\b[^>]*name\s*=\s*"decision"', body, re.I) is not None,
    }


def user_agent_authorize(authorization_url, redirect_uri, user=None, decision="allow", session=None):
    """Drive the browser side of the code flow over HTTP (cookies kept in a requests
    Session, redirects followed by hand) and return the URL the provider redirects to at
    `redirect_uri`; that URL is never fetched."""
    session = session or requests.Session()
    url, method, data = authorization_url, "GET", None
    for _ in range(12):
        if url.startswith(redirect_uri):
            return url
        r = session.request(method, url, data=data, allow_redirects=False, timeout=10)
        if 300 <= r.status_code < 400:
            url, method, data = urljoin(url, r.headers["location"]), "GET", None
            continue
        assert r.status_code == 200, f"unexpected {r.status_code} at {url}: {r.text[:300]}"
        form = parse_form(r.text, url)
        assert form, f"no form on the page at {url}: {r.text[:300]}"
        data = dict(form["fields"])
        if form["password"]:
            assert user, "login page shown but no user given"
            data.update(username=user["username"], password=user["password"])
        elif form["decision"]:
            data["decision"] = decision
        else:
            raise AssertionError(f"unrecognised form at {url}")
        url, method = form["action"], form["method"]
    raise AssertionError("too many steps in the authorization flow")

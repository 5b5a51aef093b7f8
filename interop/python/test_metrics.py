"""`/metrics` on the admin listener, read with the Prometheus project's own text-format parser
(prometheus_client.parser, the reference implementation of the exposition format 0.0.4):
the document parses, every family the operators' dashboards need is there, and the counters
move with the requests this test makes (issue 13: logins succeeded and failed, client
authentication failures, tokens issued, requests by route and status)."""

import secrets
from urllib.parse import urlencode

import requests
from prometheus_client.parser import text_string_to_metric_families

from conftest import parse_form, user_agent_authorize


def scrape(cfg):
    r = requests.get(cfg["admin_url"] + "/metrics", timeout=10)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    families = {}
    samples = {}
    for family in text_string_to_metric_families(r.text):  # raises on anything malformed
        families[family.name] = family.type
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return families, samples


def moved(before, after, name, **labels):
    key = (name, frozenset(labels.items()))
    assert key in after, f"{name}{labels} not exposed"
    return after[key] - before.get(key, 0.0)


def authorization_url(cfg, client):
    return cfg["issuer"] + "/authorize?" + urlencode({
        "response_type": "code", "client_id": client["client_id"], "redirect_uri": client["redirect_uri"],
        "scope": "openid", "state": secrets.token_urlsafe(8), "nonce": secrets.token_urlsafe(8),
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256",
    })


def test_the_document_parses_and_has_every_family(cfg):
    families, _ = scrape(cfg)
    expected = {
        "oxid_http_requests": "counter",
        "oxid_http_request_duration_seconds": "histogram",
        "oxid_tokens_issued": "counter",
        "oxid_logins": "counter",
        "oxid_client_auth_failures": "counter",
        "oxid_throttled_requests": "counter",
        "oxid_build_info": "gauge",
        "oxid_db_query_duration_seconds": "histogram",
        "oxid_db_pool_connections": "gauge",
    }
    for name, kind in expected.items():
        assert families.get(name) == kind, f"{name}: {families.get(name)}"


def test_counters_move_with_logins_client_authentication_and_tokens(cfg):
    client = cfg["clients"]["python"]
    before_families, before = scrape(cfg)
    # A failed login (an account that does not exist: no real account gets nearer a lock).
    session = requests.Session()
    page = session.get(authorization_url(cfg, client), timeout=10)
    assert page.status_code == 200
    form = parse_form(page.text, page.url)
    data = dict(form["fields"], username=f"nobody-{secrets.token_hex(4)}", password="wrong")
    again = session.post(form["action"], data=data, allow_redirects=False, timeout=10)
    assert again.status_code == 200 and 'name="password"' in again.text
    # A successful login, through consent to the redirect.
    landed = user_agent_authorize(authorization_url(cfg, client), client["redirect_uri"], user=cfg["users"]["alice"])
    assert "code=" in landed
    # A wrong client secret, then a token for the right one (RFC 6749 §4.4).
    token = cfg["issuer"] + "/token"
    wrong = requests.post(token, data={"grant_type": "client_credentials"},
                          auth=(client["client_id"], "not-the-secret"), timeout=10)
    assert wrong.status_code == 401
    right = requests.post(token, data={"grant_type": "client_credentials"},
                          auth=(client["client_id"], client["client_secret"]), timeout=10)
    assert right.status_code == 200, right.text
    _, after = scrape(cfg)
    assert moved(before, after, "oxid_logins_total", outcome="failed") >= 1
    assert moved(before, after, "oxid_logins_total", outcome="succeeded") >= 1
    assert moved(before, after, "oxid_client_auth_failures_total") >= 1
    assert moved(before, after, "oxid_tokens_issued_total", grant_type="client_credentials", format="opaque") >= 1
    assert moved(before, after, "oxid_http_requests_total", route="/token", status="401") >= 1
    assert moved(before, after, "oxid_http_requests_total", route="/token", status="200") >= 1
    # The failed login re-renders the page (200); the right one answers 200 (the consent page)
    # or 303 (consent given earlier in the run), so both posts count whatever their status.
    assert moved(before, after, "oxid_http_requests_total", route="/login", status="200") >= 1
    login_posts = sum(after[k] - before.get(k, 0.0) for k in after
                      if k[0] == "oxid_http_requests_total" and ("route", "/login") in k[1])
    assert login_posts >= 2
    # The database's work, timed by store operation (a client_credentials token is stored).
    assert moved(before, after, "oxid_db_query_duration_seconds_count", op="insert_token") >= 1
    assert moved(before, after, "oxid_db_query_duration_seconds_sum", op="insert_token") > 0
    # Present even when nothing was throttled, so that alerts on it have a series to read.
    assert ("oxid_throttled_requests_total", frozenset({("reason", "locked")})) in after

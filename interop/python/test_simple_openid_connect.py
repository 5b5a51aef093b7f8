"""simple-openid-connect as a relying party (code flow with PKCE, ID token validation,
userinfo, refresh, logout URL when advertised) and as a resource server
(token introspection when advertised)."""

import base64
import json
import queue
import secrets
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

import requests

import pytest
from simple_openid_connect.client import OpenidClient
from simple_openid_connect.data import (
    BackChannelLogoutToken,
    JwtAccessToken,
    RpInitiatedLogoutRequest,
    TokenErrorResponse,
    TokenIntrospectionSuccessResponse,
    TokenSuccessResponse,
    UserinfoSuccessResponse,
)
from simple_openid_connect.pkce import generate_pkce_pair

from conftest import skip_loud, user_agent_authorize

SCOPE = "openid profile email offline_access"


def make_client(cfg, which="python", scope=SCOPE):
    c = cfg["clients"][which]
    return OpenidClient.from_issuer_url(
        url=cfg["issuer"],
        authentication_redirect_uri=c["redirect_uri"],
        client_id=c["client_id"],
        client_secret=c.get("client_secret"),
        scope=scope,
    )


def code_flow(cfg, client, which="python", session=None):
    verifier, challenge = generate_pkce_pair()
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    url = client.authorization_code_flow.start_authentication(
        state=state, nonce=nonce, code_challenge=challenge, code_challenge_method="S256"
    )
    callback = user_agent_authorize(url, cfg["clients"][which]["redirect_uri"], user=cfg["users"]["alice"], session=session)
    assert parse_qs(urlsplit(callback).query).get("iss") == [cfg["issuer"]], "RFC 9207 iss"
    result = client.authorization_code_flow.handle_authentication_result(
        current_url=callback, state=state, code_verifier=verifier, code_challenge=challenge, code_challenge_method="S256"
    )
    assert isinstance(result, TokenSuccessResponse), f"token error: {result}"
    return result, nonce


def test_discovery(cfg):
    client = make_client(cfg)
    md = client.provider_config
    assert md.issuer == cfg["issuer"]
    assert "code" in md.response_types_supported
    assert client.client_type == "confidential"


def test_code_flow_pkce_and_id_token(cfg):
    client = make_client(cfg)
    tokens, nonce = code_flow(cfg, client)
    assert tokens.token_type.lower() == "bearer"
    assert tokens.refresh_token
    id_token = client.decode_id_token(tokens.id_token, nonce=nonce)  # signature + OIDC Core §3.1.3.7
    assert id_token.iss == cfg["issuer"]
    assert id_token.aud == cfg["clients"]["python"]["client_id"]
    assert id_token.nonce == nonce


def test_id_token_wrong_nonce_rejected(cfg):
    client = make_client(cfg, scope="openid")
    tokens, nonce = code_flow(cfg, client)
    with pytest.raises(Exception):
        client.decode_id_token(tokens.id_token, nonce="not-the-nonce")


def test_public_client_code_flow(cfg):
    client = make_client(cfg, which="public", scope="openid email")
    assert client.client_type == "public"
    tokens, nonce = code_flow(cfg, client, which="public")
    assert client.decode_id_token(tokens.id_token, nonce=nonce).sub


def test_userinfo(cfg):
    client = make_client(cfg)
    tokens, nonce = code_flow(cfg, client)
    sub = client.decode_id_token(tokens.id_token, nonce=nonce).sub
    info = client.fetch_userinfo(tokens.access_token)
    assert isinstance(info, UserinfoSuccessResponse), f"userinfo error: {info}"
    assert info.sub == sub
    assert info.name == cfg["users"]["alice"]["name"]
    assert info.email == cfg["users"]["alice"]["email"]


def test_refresh(cfg):
    client = make_client(cfg)
    tokens, nonce = code_flow(cfg, client)
    new = client.exchange_refresh_token(tokens.refresh_token)
    assert isinstance(new, TokenSuccessResponse), f"refresh error: {new}"
    assert new.refresh_token and new.refresh_token != tokens.refresh_token
    again = client.exchange_refresh_token(tokens.refresh_token)
    assert isinstance(again, TokenErrorResponse)
    assert str(getattr(again.error, "value", again.error)) == "invalid_grant"


# No client-credentials test here: simple-openid-connect 2.5.0 parses every token response
# as TokenSuccessResponse, whose id_token is required, so its client_credentials_grant fails
# against any provider that (rightly, RFC 6749 §4.4.3) issues no ID token for that grant.
# authlib, openid-client and oauth4webapi cover client credentials.


def test_resource_server_introspection(cfg, discovery):
    # The resource server shares the relying party's client registration: Oxid shows a caller
    # only the tokens issued to itself (RFC 7662 §2.2 lets it choose).
    if not discovery.get("introspection_endpoint"):
        skip_loud("resource server token introspection: introspection_endpoint not advertised by the provider")
    rp = make_client(cfg, which="python", scope="openid profile")
    tokens, nonce = code_flow(cfg, rp, which="python")
    rs = make_client(cfg, which="python")
    result = rs.introspect_token(tokens.access_token, token_type_hint="access_token")
    assert isinstance(result, TokenIntrospectionSuccessResponse), f"introspection error: {result}"
    assert result.active is True
    assert result.sub == rp.decode_id_token(tokens.id_token, nonce=nonce).sub
    assert result.client_id == cfg["clients"]["python"]["client_id"]
    assert result.exp and result.exp > 0
    assert "profile" in (result.scope or "").split()
    unknown = rs.introspect_token("not-a-token")
    assert isinstance(unknown, TokenIntrospectionSuccessResponse) and unknown.active is False


def test_resource_server_introspects_another_clients_token(cfg, discovery):
    # The usual deployment (RFC 7662 §1): a resource server with its own credentials checks a
    # token that a different client (here a public SPA) presented to it.
    if not discovery.get("introspection_endpoint"):
        skip_loud("resource server token introspection: introspection_endpoint not advertised by the provider")
    spa = make_client(cfg, which="public", scope="openid profile")
    tokens, nonce = code_flow(cfg, spa, which="public")
    rs = make_client(cfg, which="python")
    result = rs.introspect_token(tokens.access_token, token_type_hint="access_token")
    assert isinstance(result, TokenIntrospectionSuccessResponse), f"introspection error: {result}"
    assert result.active is True, "a resource server cannot introspect a token issued to another client"
    assert result.client_id == cfg["clients"]["public"]["client_id"]


def test_resource_server_sees_revoked_token_inactive(cfg, discovery):
    if not discovery.get("introspection_endpoint") or not discovery.get("revocation_endpoint"):
        skip_loud("introspection after revocation: introspection_endpoint or revocation_endpoint not advertised by the provider")
    import requests
    client = make_client(cfg, scope="openid")
    tokens, nonce = code_flow(cfg, client)
    c = cfg["clients"]["python"]
    r = requests.post(discovery["revocation_endpoint"], data={"token": tokens.access_token},
                      auth=(c["client_id"], c["client_secret"]), timeout=10)
    assert r.status_code == 200, r.text
    result = client.introspect_token(tokens.access_token)
    assert isinstance(result, TokenIntrospectionSuccessResponse) and result.active is False


def test_logout_url(cfg, discovery):
    if not discovery.get("end_session_endpoint"):
        skip_loud("RP-initiated logout: end_session_endpoint not advertised by the provider")
    client = make_client(cfg, scope="openid")
    tokens, nonce = code_flow(cfg, client)
    url = client.initiate_logout(RpInitiatedLogoutRequest(
        id_token_hint=tokens.id_token,
        post_logout_redirect_uri=cfg["clients"]["python"]["post_logout_redirect_uri"],
    ))
    assert url.startswith(discovery["end_session_endpoint"])


def test_backchannel_logout_token(cfg, discovery):
    """OIDC Back-Channel Logout 1.0: after RP-initiated logout the OP POSTs a logout token to
    the client's backchannel_logout_uri; simple-openid-connect validates it (§2.6)."""
    if not discovery.get("backchannel_logout_supported"):
        skip_loud("back-channel logout: backchannel_logout_supported not advertised by the provider")
    if not discovery.get("end_session_endpoint"):
        skip_loud("back-channel logout: end_session_endpoint not advertised by the provider")
    c = cfg["clients"]["bclogout"]
    received = queue.Queue()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
            received.put((self.path, self.headers.get("content-type", ""), body))
            self.send_response(200)
            self.send_header("cache-control", "no-store")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", c["backchannel_port"]), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = make_client(cfg, which="bclogout", scope="openid")
        browser = requests.Session()
        tokens, nonce = code_flow(cfg, client, which="bclogout", session=browser)
        id_token = client.decode_id_token(tokens.id_token, nonce=nonce)
        url = client.initiate_logout(RpInitiatedLogoutRequest(
            id_token_hint=tokens.id_token, post_logout_redirect_uri=c["post_logout_redirect_uri"], state="bc",
        ))
        back = user_agent_authorize(url, c["post_logout_redirect_uri"], decision="logout", session=browser)
        assert parse_qs(urlsplit(back).query).get("state") == ["bc"]
        path, content_type, body = received.get(timeout=10)
        assert path == "/backchannel"
        assert content_type.startswith("application/x-www-form-urlencoded")
        raw = parse_qs(body)["logout_token"][0]
        token = BackChannelLogoutToken.parse_jwt(raw, client.provider_keys)
        token.validate_extern(issuer=cfg["issuer"], client_id=c["client_id"])
        assert token.sub == id_token.sub or (token.sid and token.sid == id_token.sid)
        claims = json.loads(base64.urlsafe_b64decode(raw.split(".")[1] + "=="))
        assert "nonce" not in claims, "§2.4: a logout token must not contain a nonce"
        assert "exp" in claims, "§2.4: exp is REQUIRED"
    finally:
        server.shutdown()
        server.server_close()


def test_jwt_access_token_validate_extern(cfg, discovery):
    # RFC 9068: a client_credentials client registered for JWT access tokens; the resource
    # server checks one offline with the provider's keys, for the issuer (no resource) and for
    # the API named with resource (RFC 8707 §2).
    j = cfg["clients"]["jwtat"]
    keys = make_client(cfg, which="python").provider_keys
    for extra, audience in (({}, cfg["issuer"]), ({"resource": j["resource"]}, j["resource"])):
        answer = requests.post(
            discovery["token_endpoint"],
            data={"grant_type": "client_credentials", "scope": "api:read", **extra},
            auth=(j["client_id"], j["client_secret"]),
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        token = JwtAccessToken.parse_jwt(answer.json()["access_token"], keys)
        token.validate_extern(issuer=cfg["issuer"], client_id=audience)
        assert token.client_id == j["client_id"]
        with pytest.raises(Exception):
            token.validate_extern(issuer=cfg["issuer"], client_id="https://other.interop.example")

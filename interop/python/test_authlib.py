"""authlib as a relying party: the code flow with PKCE, ID token validation (signature and
claims, OIDC Core §3.1.3.7), userinfo, refresh, client credentials, client_secret_jwt and the
JWT bearer grant (RFC 7523), revocation and introspection when the provider advertises them."""

import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.integrations.base_client.errors import OAuthError
from authlib.oauth2.rfc6749.errors import MismatchingStateException
from authlib.oauth2.rfc7523 import ClientSecretJWT
from authlib.oidc.core import CodeIDToken

from conftest import skip_loud, user_agent_authorize

SCOPE = "openid profile email offline_access"


def session_for(cfg, which, scope=SCOPE, secret=None):
    c = cfg["clients"][which]
    sess = OAuth2Session(
        client_id=c["client_id"],
        client_secret=secret or c.get("client_secret"),
        scope=scope,
        redirect_uri=c["redirect_uri"],
        code_challenge_method="S256",
        token_endpoint_auth_method=c["auth_method"],
    )
    if c["auth_method"] == "client_secret_jwt":
        # authlib's own assertion: HS256, aud the token endpoint, a jti, exp an hour ahead.
        sess.register_client_auth_method(ClientSecretJWT())
    return sess


def code_flow(cfg, discovery, which="python", scope=SCOPE, decision="allow"):
    sess = session_for(cfg, which, scope)
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(16)
    url, state = sess.create_authorization_url(discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    callback = user_agent_authorize(url, cfg["clients"][which]["redirect_uri"], user=cfg["users"]["alice"], decision=decision)
    query = parse_qs(urlsplit(callback).query)
    assert query.get("iss") == [cfg["issuer"]], "RFC 9207: iss in the authorization response"
    token = sess.fetch_token(discovery["token_endpoint"], authorization_response=callback, code_verifier=verifier, state=state)
    return sess, token, nonce


def validate_id_token(cfg, discovery, token, nonce, client_id):
    jwks = JsonWebKey.import_key_set(requests.get(discovery["jwks_uri"], timeout=10).json())
    claims = jwt.decode(
        token["id_token"],
        jwks,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": cfg["issuer"]}},
        claims_params={"nonce": nonce, "client_id": client_id, "access_token": token["access_token"]},
    )
    claims.validate(leeway=5)
    return claims


def test_code_flow_pkce_client_secret_basic(cfg, discovery):
    sess, token, nonce = code_flow(cfg, discovery)
    assert token["token_type"].lower() == "bearer"
    assert token.get("refresh_token"), "offline_access gives a refresh token"
    claims = validate_id_token(cfg, discovery, token, nonce, cfg["clients"]["python"]["client_id"])
    assert claims["aud"] == cfg["clients"]["python"]["client_id"]
    assert claims["nonce"] == nonce


def test_code_flow_pkce_client_secret_post(cfg, discovery):
    sess, token, nonce = code_flow(cfg, discovery, which="post", scope="openid profile")
    claims = validate_id_token(cfg, discovery, token, nonce, cfg["clients"]["post"]["client_id"])
    assert claims["sub"]
    assert "refresh_token" not in token


def test_code_flow_pkce_public_client(cfg, discovery):
    sess, token, nonce = code_flow(cfg, discovery, which="public", scope="openid email")
    validate_id_token(cfg, discovery, token, nonce, cfg["clients"]["public"]["client_id"])


def test_id_token_with_wrong_nonce_is_rejected(cfg, discovery):
    sess, token, nonce = code_flow(cfg, discovery, scope="openid")
    with pytest.raises(Exception):
        validate_id_token(cfg, discovery, token, "another-nonce", cfg["clients"]["python"]["client_id"])


def test_userinfo(cfg, discovery):
    sess, token, nonce = code_flow(cfg, discovery)
    claims = validate_id_token(cfg, discovery, token, nonce, cfg["clients"]["python"]["client_id"])
    r = sess.get(discovery["userinfo_endpoint"])
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    info = r.json()
    alice = cfg["users"]["alice"]
    assert info["sub"] == claims["sub"]
    assert info["name"] == alice["name"]
    assert info["email"] == alice["email"]


def test_state_mismatch_is_detected(cfg, discovery):
    sess = session_for(cfg, "python", "openid")
    verifier = secrets.token_urlsafe(48)
    url, state = sess.create_authorization_url(discovery["authorization_endpoint"], code_verifier=verifier, nonce="n")
    callback = user_agent_authorize(url, cfg["clients"]["python"]["redirect_uri"], user=cfg["users"]["alice"])
    with pytest.raises(MismatchingStateException):
        sess.fetch_token(discovery["token_endpoint"], authorization_response=callback, code_verifier=verifier, state="other")


def test_refresh_token_rotation(cfg, discovery):
    sess, token, nonce = code_flow(cfg, discovery)
    old_refresh = token["refresh_token"]
    new = sess.refresh_token(discovery["token_endpoint"], refresh_token=old_refresh)
    assert new["access_token"] != token["access_token"]
    assert new["refresh_token"] and new["refresh_token"] != old_refresh
    with pytest.raises(OAuthError) as e:
        sess.refresh_token(discovery["token_endpoint"], refresh_token=old_refresh)
    assert e.value.error == "invalid_grant"


def test_client_credentials(cfg, discovery):
    c = cfg["clients"]["python"]
    sess = OAuth2Session(client_id=c["client_id"], client_secret=c["client_secret"])
    token = sess.fetch_token(discovery["token_endpoint"], grant_type="client_credentials", scope="api:read")
    assert token["access_token"]
    assert token["token_type"].lower() == "bearer"
    assert token.get("scope", "api:read") == "api:read"


def test_client_secret_jwt_client_credentials(cfg, discovery):
    assert "client_secret_jwt" in discovery["token_endpoint_auth_methods_supported"]
    assert "HS256" in discovery["token_endpoint_auth_signing_alg_values_supported"]
    sess = session_for(cfg, "csjwt")
    token = sess.fetch_token(discovery["token_endpoint"], grant_type="client_credentials", scope="api:read")
    assert token["access_token"]
    assert token["token_type"].lower() == "bearer"


def test_client_secret_jwt_code_flow(cfg, discovery):
    sess, token, nonce = code_flow(cfg, discovery, which="csjwt")
    validate_id_token(cfg, discovery, token, nonce, cfg["clients"]["csjwt"]["client_id"])
    new = sess.refresh_token(discovery["token_endpoint"], refresh_token=token["refresh_token"])
    assert new["access_token"] != token["access_token"]


def test_client_secret_jwt_with_a_wrong_secret_is_invalid_client(cfg, discovery):
    sess = session_for(cfg, "csjwt", secret=secrets.token_urlsafe(32))
    with pytest.raises(OAuthError) as e:
        sess.fetch_token(discovery["token_endpoint"], grant_type="client_credentials", scope="api:read")
    assert e.value.error == "invalid_client"


def test_revocation(cfg, discovery):
    if not discovery.get("revocation_endpoint"):
        skip_loud("token revocation: revocation_endpoint not advertised by the provider")
    sess, token, nonce = code_flow(cfg, discovery)
    r = sess.revoke_token(discovery["revocation_endpoint"], token=token["refresh_token"], token_type_hint="refresh_token")
    assert r.status_code == 200, r.text
    with pytest.raises(OAuthError) as e:
        sess.refresh_token(discovery["token_endpoint"], refresh_token=token["refresh_token"])
    assert e.value.error == "invalid_grant"


def test_introspection(cfg, discovery):
    if not discovery.get("introspection_endpoint"):
        skip_loud("token introspection: introspection_endpoint not advertised by the provider")
    sess, token, nonce = code_flow(cfg, discovery)
    r = sess.introspect_token(discovery["introspection_endpoint"], token=token["access_token"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["active"] is True
    assert body["client_id"] == cfg["clients"]["python"]["client_id"]


# No form-encoded Basic credentials test here: authlib 1.9.9 sends `id:secret` in HTTP Basic
# without the form-encoding RFC 6749 §2.3.1 asks for (authlib/oauth2/auth.py), so an id with
# ':' or a secret with '%' or '+' cannot work with it; Oxid decodes per the RFC, which
# oauth4webapi's test with such a client proves. Generated secrets (base64url) are unaffected.


def test_userinfo_claims_follow_scope(cfg, discovery):
    # OIDC Core §5.4: profile and email claims only with their scopes
    sess, token, nonce = code_flow(cfg, discovery, scope="openid email")
    info = sess.get(discovery["userinfo_endpoint"]).json()
    assert info["email"] == cfg["users"]["alice"]["email"]
    assert "name" not in info and "preferred_username" not in info, f"profile claims without the profile scope: {info}"
    sess, token, nonce = code_flow(cfg, discovery, scope="openid")
    info = sess.get(discovery["userinfo_endpoint"]).json()
    assert set(info) == {"sub"}, f"only sub with scope=openid: {info}"


JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def jwt_bearer_assertion(cfg, discovery, subject, **kwargs):
    # authlib signs the assertion (RFC 7523 §3): iss the trusted issuer, aud our token
    # endpoint, exp an hour ahead, a jti; with the issuer's private key.
    from authlib.oauth2.rfc7523 import JWTBearerGrant

    c = cfg["clients"]["jwtbearer"]
    key = JsonWebKey.import_key(c["idp_private_jwk"])
    assertion = JWTBearerGrant.sign(
        key, issuer=c["idp_issuer"], audience=discovery["token_endpoint"], subject=subject,
        header={"alg": "ES256", "kid": c["idp_private_jwk"]["kid"]}, **kwargs)
    return assertion.decode() if isinstance(assertion, bytes) else assertion


def test_jwt_bearer_grant_signed_by_authlib(cfg, discovery):
    # RFC 7523 §2.1: listed because a trusted issuer is configured.
    assert JWT_BEARER in discovery["grant_types_supported"]
    c = cfg["clients"]["jwtbearer"]
    sess = OAuth2Session(client_id=c["client_id"], client_secret=c["client_secret"])
    assertion = jwt_bearer_assertion(cfg, discovery, cfg["users"]["alice"]["username"])
    token = sess.fetch_token(discovery["token_endpoint"], grant_type=JWT_BEARER,
                             assertion=assertion, scope="openid email api:read")
    assert token["token_type"].lower() == "bearer"
    assert "refresh_token" not in token
    info = sess.get(discovery["userinfo_endpoint"]).json()
    assert info["email"] == cfg["users"]["alice"]["email"]
    # The same assertion again: its jti is remembered (RFC 7523 §3 rule 7).
    with pytest.raises(OAuthError) as e:
        OAuth2Session(client_id=c["client_id"], client_secret=c["client_secret"]).fetch_token(
            discovery["token_endpoint"], grant_type=JWT_BEARER, assertion=assertion, scope="api:read")
    assert e.value.error == "invalid_grant"


def test_jwt_bearer_grant_refusals(cfg, discovery):
    c = cfg["clients"]["jwtbearer"]

    def refused(assertion, scope="api:read"):
        with pytest.raises(OAuthError) as e:
            OAuth2Session(client_id=c["client_id"], client_secret=c["client_secret"]).fetch_token(
                discovery["token_endpoint"], grant_type=JWT_BEARER, assertion=assertion, scope=scope)
        return e.value

    unknown = refused(jwt_bearer_assertion(cfg, discovery, "nobody-here"))
    assert unknown.error == "invalid_grant"
    long_lived = refused(jwt_bearer_assertion(cfg, discovery, "alice", expires_in=86400 * 2))
    assert long_lived.error == "invalid_grant"
    # profile: the client may have it, the trusted issuer may not grant it.
    scope = refused(jwt_bearer_assertion(cfg, discovery, "alice"), scope="openid profile")
    assert scope.error == "invalid_scope"

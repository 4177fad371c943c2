"""argocd-cm ``oidc.config`` / ``dex.config`` as Argo CD reads them: defaults, ``$``
references to argocd-secret and other Secrets, and clear errors for unusable configs."""

from __future__ import annotations

import pytest

from kaiun.settings.oidc import (
    DEFAULT_SCOPES,
    OIDCSettingsError,
    dex_client_secret,
    parse_sso,
    secret_reference,
)

SECRETS = {("", "oidc.okta.clientSecret"): "s3cret", ("", "oidc.okta.clientID"): "cid",
           ("okta-creds", "secret"): "other-s3cret"}  # fmt: skip


def lookup(name: str, key: str) -> str | None:
    return SECRETS.get((name, key))


def test_seed_okta_example_resolves_references_and_keeps_the_secret_out_of_repr() -> None:
    cm = {"oidc.config": (
        "name: Okta\nissuer: https://example.okta.com\nclientID: $oidc.okta.clientID\n"
        "clientSecret: $oidc.okta.clientSecret\nrequestedScopes: [openid, profile, email, groups]\n"
    )}  # fmt: skip
    sso = parse_sso(cm, lookup)
    assert sso is not None
    assert (sso.name, sso.issuer, sso.client_id, sso.client_secret) == (
        "Okta", "https://example.okta.com", "cid", "s3cret")  # fmt: skip
    assert sso.scopes == ("openid", "profile", "email", "groups")
    assert sso.audiences == ("cid",)
    assert "s3cret" not in repr(sso)
    assert not sso.insecure_skip_verify and not sso.dex


def test_defaults_named_secret_reference_and_options() -> None:
    cm = {
        "oidc.config": (
            "issuer: https://idp.example\nclientID: web\ncliClientID: cli\n"
            "clientSecret: $okta-creds:secret\nenablePKCEAuthentication: true\n"
            "requestedIDTokenClaims: {groups: {essential: true}}\n"
        ),
        "oidc.tls.insecure.skip.verify": "true",
    }
    sso = parse_sso(cm, lookup)
    assert sso is not None
    assert sso.scopes == DEFAULT_SCOPES and sso.client_secret == "other-s3cret"
    assert sso.audiences == ("web", "cli") and sso.pkce and sso.insecure_skip_verify
    assert sso.id_token_claims == {"groups": {"essential": True}}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("clientID: x", "issuer is required"),
        ("issuer: https://idp.example", "clientID is required"),
        ("issuer: ftp://idp.example\nclientID: x", "must be an http(s) URL"),
        (
            "issuer: https://i\nclientID: x\nclientSecret: $missing",
            "'missing' missing in argocd-secret",
        ),
        ("issuer: https://i\nclientID: x\nclientSecret: $nope:key", "missing in Secret nope"),
        ("issuer: https://i\nclientID: x\nrequestedScopes: openid", "list of strings"),
        ("issuer: https://i\nclientID: x\nrootCA: not a pem", "PEM certificate"),
        ("[not, a, mapping]", "must be a YAML mapping"),
        ("issuer: [unclosed", "not valid YAML"),
    ],
)
def test_unusable_configs_say_which_field(config: str, message: str) -> None:
    with pytest.raises(OIDCSettingsError, match=None) as err:
        parse_sso({"oidc.config": config}, lookup)
    assert message in str(err.value)
    assert "s3cret" not in str(err.value)


def test_dex_needs_a_dex_server_and_url() -> None:
    cm = {"dex.config": "connectors: []", "url": "https://cd.example.com/"}
    assert parse_sso(cm, lookup) is None  # no --dex-server: dex.config alone does nothing
    sso = parse_sso(cm, lookup, dex_server="http://dex:5556", server_secret_key=b"k" * 32)
    assert sso is not None and sso.dex
    assert sso.issuer == "https://cd.example.com/api/dex"
    assert sso.backchannel == "http://dex:5556/api/dex"
    assert (sso.client_id, sso.cli_client_id) == ("argo-cd", "argo-cd-cli")
    assert sso.client_secret == dex_client_secret(b"k" * 32) and len(sso.client_secret) == 40
    with pytest.raises(OIDCSettingsError, match="needs argocd-cm url"):
        parse_sso({"dex.config": "connectors: []"}, lookup, dex_server="http://dex:5556")


def test_oidc_config_wins_over_dex_config() -> None:
    cm = {"dex.config": "connectors: []", "url": "https://cd.example.com",
          "oidc.config": "issuer: https://idp.example\nclientID: x"}  # fmt: skip
    sso = parse_sso(cm, lookup, dex_server="http://dex:5556")
    assert sso is not None and not sso.dex


def test_secret_reference_syntax() -> None:
    assert secret_reference("$key.with.dots") == ("", "key.with.dots")
    assert secret_reference("$name:key") == ("name", "key")
    assert secret_reference("plain") is None and secret_reference("$") is None

"""LinkedIn OAuth 2.0, 3-legged (Microsoft Learn: "Authorization Code Flow"). Scopes: sign-in with
OpenID Connect (`openid profile`) to know the member, `w_member_social` to post as the member, the
organisation scopes (Community Management API) to post, read and measure as a Page.

Access tokens live 60 days; refresh tokens (programmatic refresh, granted to some apps) 365 days:
set here so that "reconnect needed" warns before the expiry even when a response omits it. PKCE is
offered by LinkedIn for native clients only; a web app authenticates with its secret.
"""

from tamtam.networks.oauth import OAuthSpec

SPEC = OAuthSpec(
    network="linkedin",
    authorize_url="https://www.linkedin.com/oauth/v2/authorization",
    token_url="https://www.linkedin.com/oauth/v2/accessToken",  # noqa: S106 — a URL, not a secret
    revoke_url="https://www.linkedin.com/oauth/v2/revoke",
    scopes=(
        "openid",
        "profile",
        "w_member_social",
        "w_organization_social",
        "r_organization_social",
        "rw_organization_admin",
    ),
    pkce=False,
    client_auth="post",
    scope_separator=" ",
    access_token_days=60,
    refresh_token_days=365,
    warn_days_before_expiry=7,
)

"""TikTok Login Kit (OAuth 2.0 v2): authorize at tiktok.com, tokens at open.tiktokapis.com, with PKCE
(S256). TikTok calls the client id `client_key` (and ignores `client_id`): `client_id_param` makes
the authorize URL, the code exchange, refresh and revoke send it under that name.

Scopes: `user.info.basic` (who), `user.info.profile`/`user.info.stats` (username, follower counts),
`video.publish` (Direct Post), `video.upload` (upload to the creator's inbox), `video.list` (read
back). Access tokens last 24 hours, refresh tokens 365 days.
"""

from tamtam.networks.oauth import OAuthSpec

SPEC = OAuthSpec(
    network="tiktok",
    authorize_url="https://www.tiktok.com/v2/auth/authorize/",
    token_url="https://open.tiktokapis.com/v2/oauth/token/",  # noqa: S106 — a URL, not a secret
    revoke_url="https://open.tiktokapis.com/v2/oauth/revoke/",
    scopes=(
        "user.info.basic",
        "user.info.profile",
        "user.info.stats",
        "video.publish",
        "video.upload",
        "video.list",
    ),
    pkce=True,
    client_auth="post",
    scope_separator=",",
    client_id_param="client_key",
    access_token_days=1,
    refresh_token_days=365,
)

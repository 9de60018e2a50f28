"""Instagram professional accounts. The default connection goes through Facebook Login (the account
is linked to a Facebook Page), with the Instagram Graph API permissions; Instagram Login (options
`login=instagram`) uses the Instagram host's own OAuth and refreshes with `ig_refresh_token`.

Meta's login flows authenticate the app with its secret; PKCE is not used. Long-lived tokens: 60 days.
"""

from tamtam.networks.meta.graph import GRAPH_VERSION
from tamtam.networks.oauth import OAuthSpec

SPEC = OAuthSpec(
    network="instagram",
    authorize_url=f"https://www.facebook.com/{GRAPH_VERSION}/dialog/oauth",
    token_url=f"https://graph.facebook.com/{GRAPH_VERSION}/oauth/access_token",
    scopes=(
        "instagram_basic",
        "instagram_content_publish",
        "instagram_manage_comments",
        "instagram_manage_insights",
        "pages_show_list",
        "pages_read_engagement",
    ),
    pkce=False,
    client_auth="post",
    scope_separator=",",
    access_token_days=60,
)

# Instagram Login (no Facebook Page): its own authorize and token endpoints and scope names.
INSTAGRAM_LOGIN_SPEC = OAuthSpec(
    network="instagram",
    authorize_url="https://www.instagram.com/oauth/authorize",
    token_url="https://api.instagram.com/oauth/access_token",  # noqa: S106 — a URL, not a secret
    scopes=(
        "instagram_business_basic",
        "instagram_business_content_publish",
        "instagram_business_manage_comments",
    ),
    pkce=False,
    client_auth="post",
    scope_separator=",",
    access_token_days=60,
)

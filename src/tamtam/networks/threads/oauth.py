"""Threads OAuth (Meta's Threads API "Get access tokens and permissions"): authorize at threads.net,
code exchange at graph.threads.net; permissions to publish, read and manage replies, read insights,
mentions and keyword search. PKCE is not part of Threads' documented flow (the app secret
authenticates the exchange). Long-lived tokens last 60 days and are renewed with `th_refresh_token`.
"""

from tamtam.networks.oauth import OAuthSpec

SPEC = OAuthSpec(
    network="threads",
    authorize_url="https://threads.net/oauth/authorize",
    token_url="https://graph.threads.net/oauth/access_token",  # noqa: S106 — a URL, not a secret
    scopes=(
        "threads_basic",
        "threads_content_publish",
        "threads_manage_replies",
        "threads_read_replies",
        "threads_manage_insights",
        "threads_manage_mentions",
        "threads_keyword_search",
    ),
    pkce=False,
    client_auth="post",
    scope_separator=",",
    access_token_days=60,
)

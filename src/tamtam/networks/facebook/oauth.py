"""Facebook Login for a Page (Graph API v21). Scopes per Meta's Pages API docs: list the Pages, read and
publish their posts, moderate comments, read insights, and Messenger conversations.

PKCE: Meta's manual login flow authenticates the app with its secret at the token endpoint; PKCE is
not used. Long-lived user tokens last 60 days; the Page token derived from one does not expire.
"""

from tamtam.networks.meta.graph import GRAPH_VERSION
from tamtam.networks.oauth import OAuthSpec

SPEC = OAuthSpec(
    network="facebook",
    authorize_url=f"https://www.facebook.com/{GRAPH_VERSION}/dialog/oauth",
    token_url=f"https://graph.facebook.com/{GRAPH_VERSION}/oauth/access_token",
    scopes=(
        "pages_show_list",
        "pages_read_engagement",
        "pages_manage_posts",
        "pages_manage_engagement",
        "pages_read_user_content",
        "read_insights",
        "pages_messaging",
    ),
    pkce=False,
    client_auth="post",
    scope_separator=",",
    access_token_days=60,
)

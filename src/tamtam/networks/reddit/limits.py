"""Reddit limits (self posts to a subreddit; the post text is the body).

Sources: Reddit API /api/submit (title up to 300 characters, self-text body up to 40,000 characters),
Reddit help "Image and video uploads" (images up to 20 MB, galleries up to 20 images, videos up to
1 GB), Reddit comment limit (10,000 characters). Subreddits add their own rules on top.
"""

from __future__ import annotations

from tamtam.networks.base import Limits, MediaRules
from tamtam.networks.limits import GB, MB, ExtraRules

LIMITS = Limits(
    max_chars=40000,
    count=len,  # Reddit counts code points
    media=MediaRules(
        max_count=20,  # gallery
        image_types=frozenset({"image/jpeg", "image/png", "image/gif"}),
        # Reddit takes videos up to 1 GB, but its video post needs a poster image and a websocket
        # answer that the connector does not drive: videos are refused here rather than sent as images.
        video_types=frozenset(),
        max_image_bytes=20 * MB,
        max_video_bytes=1 * GB,
        mix_images_and_video=False,
    ),
    daily_cap=None,  # no global cap; subreddits rate-limit new accounts their own way
    first_comment_max_chars=10000,
)

RULES = ExtraRules(
    text_required=True,  # a Reddit post needs a title, taken from the text
    title_max_chars=300,
    max_videos=1,
    link_placement="field",  # a link post's URL
    sources=(
        "Reddit API reference: POST /api/submit",
        "Reddit help: image and video uploads, galleries",
        "Reddit: comment length limit",
    ),
)

"""Words of social-media work that pyspellchecker's general dictionaries lack.

Without them a community manager's every post about a "webinar", a "newsletter" or "Instagram" would be
underlined. Lowercase; matched case-insensitively. Workspaces add their own terms on top (`extra_words`).
"""

from __future__ import annotations

# Used in both languages: anglicisms are everyday French in marketing, and network names start sentences.
_SHARED = """
afterwork analytics android app apps appli applis best-of bio bios blog blogs blogger bloggers bluesky
brainstorming branding briefing chatbot chatbots checklist collab collabs community coworking crowdfunding
cybersecurity dashboard dm dms discord e-commerce e-mail e-mails ecommerce email emails emoji emojis
facebook feedback feedbacks fintech follower followers foodie freelance freelances giveaway giveaways
google hackathon hashtag hashtags inbox influencer influencers instagram internet iphone lifestyle like
likes linkedin live lives livestream livestreaming livestreams login logout making-of marketing mastodon
metaverse newsletter newsletters onboarding pinterest podcast podcasts post posts quiz reddit reel reels
replay replays repost reposts retweet retweets selfie selfies signup smartphone smartphones snapchat
spotify startup startups start-up start-ups stories story storytelling streaming teaser teasing telegram
threads tiktok tuto tutos tweet tweets twitter unboxing upskill vlog vlogs vlogger web webinar webinars
website websites wellbeing whatsapp wifi wi-fi youtube youtuber youtubers
"""

_FRENCH = """
abonné abonnée abonnés abonnées blogueur blogueuse blogueurs blogueuses boosté boostée cybersécurité
écoresponsable écoresponsables éco-responsable éco-responsables e-réputation hashtaguer influenceur
influenceuse influenceurs influenceuses instagrammable jeu-concours jeux-concours liker likez mails mdr
podcasteur podcasteuse ptdr rdv stp svp bcp sponsorisé sponsorisée sponsorisés sponsorisées sponsoriser team
teambuilding team-building télétravail visio visios visioconférence visioconférences webinaire
webinaires week-end week-ends youtubeur youtubeuse youtubeurs youtubeuses
"""

_ENGLISH = """
asap btw fyi lol omg upskilling reshare reshared reshares rewatch unfollow unfollowed
"""

SOCIAL_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset((_SHARED + _ENGLISH).split()),
    "fr": frozenset((_SHARED + _FRENCH).split()),
}

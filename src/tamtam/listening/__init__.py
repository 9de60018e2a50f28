"""Social listening: queries, sources, mentions, authors and influencers, pipeline, share of voice, trends."""

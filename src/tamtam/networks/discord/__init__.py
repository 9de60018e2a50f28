"""Discord: `limits.py` says what the network accepts (text, media, daily cap, first comment)."""

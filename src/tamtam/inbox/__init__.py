"""Community inbox: conversations, messages, assignment, replies, saved replies, contests."""

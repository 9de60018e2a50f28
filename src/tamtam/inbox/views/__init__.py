"""Inbox pages (thin: they call services). `pages.py`: the inbox, a conversation and its actions;
`manage.py`: settings, saved replies, approvals, metrics, contests; `webhook.py`: network pushes."""

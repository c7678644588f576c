"""Email notifications: who is told of what, an outbox written with the change that causes
each message, and the senders (SMTP or GOV.UK Notify) that deliver it after commit.

No message names a child, gives a case id or a date of birth: each says what happened and
links to the service, where the reader signs in to see more (docs/notifications.md).
"""

"""One-key help calls (一键求助): the duty roster, notifying the on-duty cadre, escalation.

A kiosk's HelpCall is stored by the work-order intake (same transaction, same
exactly-once request table); this package decides who is on duty, queues a durable
notice for them, delivers it through a notifier (an HTTP webhook) in the background,
escalates unacknowledged calls to the township and tells the kiosk what happened.
"""

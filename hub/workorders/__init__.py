"""Work orders and villagers' voice: appeals as 12345 work orders, ratings, follow-ups, votes.

Layout: ``settings`` (the hub config section) and ``rules`` (the declarative policy file)
with ``calendar`` (working days) and ``flow`` (the state table); ``places`` (the fleet) and
``codes`` (receipts, media references); ``schema`` (the database); ``orders`` and
``feedback`` (rows, inside one write transaction); ``intake`` (one kiosk request -> one
Reply); ``service`` (the running part: queue, replies, status pushes); ``queries``,
``views`` and ``export`` (reading); ``metrics`` and ``integrity`` (outcome metrics);
``accounts`` (console staff, village helpers); ``wiring`` (into the hub app).
See docs/workorders.md.
"""

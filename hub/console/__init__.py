"""The handler console: server-rendered pages where department staff work their queue."""

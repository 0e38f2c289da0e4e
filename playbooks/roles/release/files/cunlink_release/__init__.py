"""cunlink_release: the device side of a cunlink rollout (fetch, stage, switch, verify, rollback).

The Ansible role ``release`` ships this package to every kiosk, edge agent and hub as one
zipapp, ``R/bin/cunlink_release.py`` (built by playbooks/tools/build_release_tool.py), run as
``python3 R/bin/cunlink_release.py --root R <command>``. It needs only the standard library
and ``cryptography`` (Debian: python3-cryptography), so it runs before, during and after any
release of the application itself.

Layout under the install root R (after ansistrano)::

    R/releases/<version>/         complete releases; a directory gets this name only by
                                  rename(2) of a fully written and fsynced temp directory
    R/releases/.tmp-<version>-*   an unpack in progress (removed by the next command)
    R/current  -> releases/<v>    the running release; switched by renaming a new link over it
    R/previous -> releases/<v>    where a rollback goes back to
    R/shared/                     config, secrets and data that outlive releases
    R/staging/                    signed, verified downloads (``*.part`` while downloading)
    R/state.json                  pending verification and failed versions (written atomically)
    R/etc/release.json            settings written by the role (CLI flags override them)
    R/.release.lock               flock taken by every command that changes the tree

Every command prints one JSON object on stdout (for Ansible and the hub) and explains
itself on stderr. Exit codes (errors.py): 0 done (or nothing to do), 1 error, 2 usage, 3 the
new release failed verification and was rolled back, 65 artifact refused (bad signature,
checksum or size), 69 download failed and can be resumed, 75 deferred (villager session
active, outside the maintenance window, or another command holds the tree).

Crash safety: ``current`` and ``previous`` only ever change by renaming a complete temp
link over them, and only to directories that became releases by renaming a complete,
fsynced temp directory. kill -9 or a power cut at any instant therefore leaves ``current``
at the old or the new release, each complete. A switch that was not yet verified is
recorded in state.json before the link moves; ``verify`` (run by the role, by systemd at
boot and by a timer) finishes that verification or rolls back.

Modules: cli (commands), download (phase 1), verify (signatures), releases (unpack, garbage
collection), activate (phase 2: switch, verify, rollback), hooks (prepare, self-test),
lock (tree and session locks), layout (paths, atomic file operations, state.json),
settings, install (``init``), errors.
"""

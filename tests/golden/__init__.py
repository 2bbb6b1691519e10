"""Golden logs: each release's recorded log, and the worked example's fixed outcome.

See fixtures.py for what each fixture holds and regenerate.py for the commands
that write them.
"""

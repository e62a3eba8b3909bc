#!/usr/bin/env python3
"""A stand-in for Xen's ``xl`` in unit tests: keeps domains in ``FAKE_XL_STATE`` (JSON) and answers as ``xl`` does.

Each call is appended to ``FAKE_XL_STATE``.calls; ``FAKE_XL_FAIL=op`` makes that subcommand fail like ``xl``,
``FAKE_XL_FLAKY=op:N`` only its first N calls.
"""

import json
import os
import sys
from pathlib import Path

STATE = Path(os.environ["FAKE_XL_STATE"])
INFO = ("host : fake\nrelease : 6.1.0\nnr_cpus : 4\ntotal_memory : 8191\nfree_memory : {free}\n"
        "xen_major : 4\nxen_minor : 17\n")
FREE_MB = 6000
"""Free memory with no domains but dom0; each domain's memory comes out of it."""


def main(args: list[str]) -> int:
    state = json.loads(STATE.read_text()) if STATE.exists() else {"calls": [], "domains": {}, "next": 1}
    state["calls"].append(args)
    try:
        return run(state, args)
    finally:
        STATE.write_text(json.dumps(state))


def run(state: dict, args: list[str]) -> int:
    op, rest = args[0], args[1:]
    domains = state["domains"]
    if os.environ.get("FAKE_XL_FAIL") == op or flaky(state, op):
        print(f"libxl: error: {op} failed (fake)", file=sys.stderr)
        return 3
    if op == "info":
        print(INFO.format(free=FREE_MB - sum(domain["mem"] for domain in domains.values())), end="")
    elif op == "create":
        config = dict(line.split(" = ", 1) for line in Path(rest[-1]).read_text().splitlines())
        name = json.loads(config["name"])
        flags = "--p---" if "-p" in rest else "r-----"
        domains[name] = {"id": state["next"], "mem": int(config["memory"]), "flags": flags}
        state["next"] += 1
    elif name_missing(domains, rest):
        print(f"{op}: Invalid domain identifier: {rest[-1]}", file=sys.stderr)
        return 1
    elif op == "unpause":
        domains[rest[0]]["flags"] = "r-----"
    elif op == "shutdown":
        domains[rest[0]]["flags"] = "---s--"
    elif op == "destroy":
        del domains[rest[0]]
    elif op == "list":
        print("Name                                        ID   Mem VCPUs\tState\tTime(s)")
        domain = domains[rest[0]]
        print(f"{rest[0]:<40}{domain['id']:>6}{domain['mem']:>6}     1     {domain['flags']}       0.1")
        if domain["flags"] == "---s--":
            del domains[rest[0]]  # the guest has finished shutting down by the next look
    return 0


def flaky(state: dict, op: str) -> bool:
    """True for the first N calls of ``op`` when ``FAKE_XL_FLAKY=op:N``."""
    name, _, times = os.environ.get("FAKE_XL_FLAKY", "").partition(":")
    if name != op:
        return False
    state["flaked"] = state.get("flaked", 0) + 1
    return state["flaked"] <= int(times)


def name_missing(domains: dict, rest: list[str]) -> bool:
    return not rest or rest[0] not in domains


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""What a deployment script does when a tool it needs is missing here: on a developer's
machine it says why and is skipped (exit 0); under CI (`CI` set, as CI services set it) a
skipped check would let a run pass that checked nothing, so it fails (exit 1)."""
import os


def in_ci():
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def cannot_run(test, reason):
    """Prints why `test` cannot run; returns the exit status it ends with."""
    if in_ci():
        print(f"FAIL: {test} cannot run, and CI is set: {reason}")
        return 1
    print(f"SKIPPED: {test}: {reason}")
    return 0

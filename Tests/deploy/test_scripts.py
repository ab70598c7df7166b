"""The scripts a newcomer runs first: without a Swift 6.3 toolchain they say so, how to get
one and that the container needs none, instead of ending in `swift: command not found`."""
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def path_without_swift():
    """PATH as it is, less every directory holding a swift command."""
    directories = os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep)
    return os.pathsep.join(d for d in directories if d and not os.access(os.path.join(d, "swift"), os.X_OK))


def run(script, path):
    return subprocess.run([os.path.join(ROOT, "scripts", script)], cwd=ROOT, text=True, capture_output=True, timeout=60,
                          env=dict(os.environ, PATH=path))


def test_start_without_swift_says_what_to_install_and_offers_the_container():
    result = run("start", path_without_swift())
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "command not found" not in result.stderr
    assert "Swift 6.3" in result.stderr and "no swift command is on PATH" in result.stderr
    assert "swift.org/install" in result.stderr
    assert "docker build" in result.stderr and "docker run" in result.stderr


def test_an_older_swift_is_named_with_the_version_needed(tmp_path):
    fake = tmp_path / "swift"
    fake.write_text("#!/bin/sh\necho 'Swift version 5.10.1 (swift-5.10.1-RELEASE)'\n")
    fake.chmod(0o755)
    result = run("install-deps", str(tmp_path) + os.pathsep + path_without_swift())
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "version 5.10" in result.stderr and "Swift 6.3" in result.stderr


def test_the_readme_names_the_prerequisites_before_the_command():
    readme = open(os.path.join(ROOT, "README.md")).read()
    setup = readme.index("## Set up on a new machine")
    command = readme.index("\n    scripts/start", setup)  # the command itself, not the prose naming it
    before = readme[setup:command]
    assert "Swift 6.3" in before and "apt" in before and "container" in before.lower()

"""The Docker image installs `requirements-runtime.lock`: the service's own dependencies, at
exactly the versions and hashes the tests ran with (`requirements.lock`), and no dev tool."""

from __future__ import annotations

import re
import tomllib

from app.core.settings import PROJECT_ROOT

PIN = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+)((?:\s*\\\n\s*--hash=\S+)+)", re.M)


def pins(name: str) -> dict[str, tuple[str, frozenset[str]]]:
    text = (PROJECT_ROOT / name).read_text()
    return {package.lower().replace("_", "-"): (version, frozenset(re.findall(r"--hash=(\S+)",
                                                                              hashes)))
            for package, version, hashes in PIN.findall(text)}


def requirement_name(requirement: str) -> str:
    found = re.match(r"[A-Za-z0-9_.-]+", requirement)
    assert found, requirement
    return found.group(0).lower().replace("_", "-")


PROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]


def test_the_runtime_lock_pins_what_the_tests_ran_with() -> None:
    runtime, everything = pins("requirements-runtime.lock"), pins("requirements.lock")
    assert runtime, "requirements-runtime.lock pins nothing"
    differ = {name: (pinned, everything.get(name)) for name, pinned in runtime.items()
              if everything.get(name) != pinned}
    assert not differ, f"run `make lock`: not as in requirements.lock: {differ}"


def test_the_runtime_lock_has_every_dependency_of_the_service_and_no_dev_tool() -> None:
    runtime = pins("requirements-runtime.lock")
    missing = [name for name in map(requirement_name, PROJECT["dependencies"])
               if name not in runtime]
    assert not missing, f"run `make lock`: not in requirements-runtime.lock: {missing}"
    dev_only = [name for name in map(requirement_name, PROJECT["optional-dependencies"]["dev"])
                if name in runtime]
    assert not dev_only, f"dev tools in the image's lock: {dev_only}"


def test_the_image_installs_the_runtime_lock() -> None:
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    assert "-r requirements-runtime.lock" in dockerfile
    assert "-r requirements.lock" not in dockerfile

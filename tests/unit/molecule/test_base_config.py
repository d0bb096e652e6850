# -*- coding: utf-8 -*-
"""The molecule base configuration reaches every scenario's nodes over SSH: each platform name needs host
variables there, because the podman driver's own connection sits on each host and only host variables beat it."""
import glob
import os

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def _load(path):
    with open(path) as fh:
        return yaml.safe_load(fh)


def platform_names():
    names = {p["name"] for p in _load(os.path.join(ROOT, ".config", "molecule", "config.yml"))["platforms"]}
    for path in glob.glob(os.path.join(ROOT, "molecule", "*", "molecule.yml")):
        names.update(p["name"] for p in (_load(path) or {}).get("platforms", []))
    return names


def base_host_vars():
    return _load(os.path.join(ROOT, ".config", "molecule", "config.yml"))["provisioner"]["inventory"]["host_vars"]


def without_ssh(host_vars, names):
    return sorted(n for n in names if "ssh" not in str((host_vars.get(n) or {}).get("ansible_connection", "")))


def test_every_platform_of_every_scenario_connects_over_ssh():
    names = platform_names()
    assert len(names) >= 12, f"too few platforms found ({sorted(names)}): the check would pass vacuously"
    missing = without_ssh(base_host_vars(), names)
    assert not missing, f"platforms without the SSH connection in .config/molecule/config.yml host_vars: {missing}"


def test_a_platform_without_host_vars_is_reported():
    # Negative: a platform name the base configuration does not list; control: one it lists.
    assert without_ssh(base_host_vars(), {"node1", "not-a-listed-node"}) == ["not-a-listed-node"]

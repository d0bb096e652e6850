"""Helpers shared by the testinfra suites: run SQL on a node through the local client."""


def sql(host, query):
    """Run a query as root over the unix socket and return stdout stripped."""
    cmd = host.run("mariadb -N -B -e %s", query)
    assert cmd.rc == 0, f"{host.backend.hostname}: {query!r} failed: {cmd.stderr}"
    return cmd.stdout.strip()


def status(host, name):
    out = sql(host, f"SHOW GLOBAL STATUS LIKE '{name}'")
    return out.split("\t", 1)[1] if "\t" in out else ""

#!/usr/bin/env python3
"""Builds the Debian package with CPack and checks it.

Usage: check_deb.py CPACK BUILD_DIR VERSION

Runs `cpack -G DEB` on the build into a temporary folder, then checks the control
fields (Depends from dpkg-shlibdeps), the file list, the conffiles and maintainer
scripts; extracts the package with dpkg-deb -x and runs its blockforge --version;
checks the man page is the binary's, the .desktop file with desktop-file-validate and
the systemd unit with systemd-analyze verify (in a root made of the package and this
machine's units); and runs the unit's ExecStart with the shipped environment file.
Every tool is required: a missing one fails the check (scripts/install-deps installs
them). Exits 0 when all is well, 1 with the first problem.
"""
import gzip
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

EXPECTED_FILES = {
    "/etc/default/blockforge-server",
    "/lib/systemd/system/blockforge-server.service",
    "/usr/bin/blockforge",
    "/usr/share/applications/blockforge.desktop",
    "/usr/share/doc/blockforge/changelog.Debian.gz",
    "/usr/share/doc/blockforge/copyright",
    "/usr/share/lintian/overrides/blockforge",
    "/usr/share/man/man1/blockforge.1.gz",
    "/usr/share/icons/hicolor/scalable/apps/blockforge.svg",
} | {f"/usr/share/icons/hicolor/{s}x{s}/apps/blockforge.png" for s in (16, 32, 48, 64, 128, 256)}

UNIT = "/lib/systemd/system/blockforge-server.service"
UNIT_SETTINGS = [
    "DynamicUser=yes", "StateDirectory=blockforge-server", "ProtectSystem=strict",
    "ProtectHome=yes", "NoNewPrivileges=yes", "PrivateTmp=yes", "PrivateDevices=yes",
    "CapabilityBoundingSet=", "EnvironmentFile=-/etc/default/blockforge-server",
]


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def run(command, **kwargs):
    """Runs a command; fails the check when it cannot run or exits non-zero."""
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=120,
                                **kwargs)
    except FileNotFoundError:
        fail(f"{command[0]} is not installed (scripts/install-deps installs it)")
    if result.returncode != 0:
        fail(f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}{result.stderr}")
    return result


def check_control(deb, version):
    fields = {}
    for name in ("Package", "Version", "Architecture", "Maintainer", "Section", "Priority",
                 "Depends", "Recommends", "Description"):
        fields[name] = run(["dpkg-deb", "-f", deb, name]).stdout.strip()
    architecture = run(["dpkg", "--print-architecture"]).stdout.strip()
    expected = {"Package": "blockforge", "Version": f"{version}-1",
                "Architecture": architecture, "Section": "net", "Priority": "optional"}
    for name, value in expected.items():
        if fields[name] != value:
            fail(f"control field {name} is {fields[name]!r}, expected {value!r}")
    if not re.fullmatch(r"[^<>]+ <[^@<>\s]+@[^@<>\s]+>", fields["Maintainer"]):
        fail(f"Maintainer {fields['Maintainer']!r} is not 'Name <address>'")
    if not fields["Description"].startswith("proof-of-work miner and chain server\n "):
        fail(f"Description lacks its summary or long text: {fields['Description']!r}")
    # dpkg-shlibdeps derives these from the libraries the binary links, with versions.
    depends = {d.split(" ")[0]: d for d in fields["Depends"].split(", ")}
    for library in ("libc6", "libstdc++6", "libqt6core6", "libqt6network6",
                    "libqt6sql6", "libqt6widgets6", "libssl3"):
        if library not in depends or "(>= " not in depends[library]:
            fail(f"Depends lacks a versioned {library}: {fields['Depends']!r}")
    # The chain's SQLite driver is a plugin, which dpkg-shlibdeps cannot see.
    if "libqt6sql6-sqlite" not in depends:
        fail(f"Depends lacks the Qt SQLite driver libqt6sql6-sqlite: {fields['Depends']!r}")
    if "libqt6sql6-psql" not in fields.get("Recommends", ""):
        fail(f"Recommends lacks the Qt PostgreSQL driver libqt6sql6-psql: {fields!r}")


def check_contents(deb):
    listing = run(["dpkg-deb", "-c", deb]).stdout.splitlines()
    files = {}
    for line in listing:
        mode, owner, _size, _date, _time, path = line.split(None, 5)
        if owner != "root/root":
            fail(f"{path} is owned by {owner}, not root/root")
        if not mode.startswith("d"):
            files[path[1:]] = mode
    if set(files) != EXPECTED_FILES:
        fail(f"unexpected files {sorted(set(files) - EXPECTED_FILES)}, "
             f"missing {sorted(EXPECTED_FILES - set(files))}")
    for path, mode in files.items():
        wanted = "-rwxr-xr-x" if path == "/usr/bin/blockforge" else "-rw-r--r--"
        if mode != wanted:
            fail(f"{path} has mode {mode}, expected {wanted}")


def check_control_files(deb, work):
    control = os.path.join(work, "control")
    run(["dpkg-deb", "-e", deb, control])
    with open(os.path.join(control, "conffiles"), encoding="utf-8") as f:
        if f.read().split() != ["/etc/default/blockforge-server"]:
            fail("conffiles must list /etc/default/blockforge-server, and only it")
    for script in ("postinst", "prerm", "postrm"):
        path = os.path.join(control, script)
        if not os.access(path, os.X_OK):
            fail(f"maintainer script {script} is missing or not executable")
        run(["sh", "-n", path])


def check_extracted(root, version):
    blockforge = os.path.join(root, "usr/bin/blockforge")
    out = run([blockforge, "--version"]).stdout
    if out != f"blockforge {version}\n":
        fail(f"the extracted blockforge --version says {out!r}")
    with gzip.open(os.path.join(root, "usr/share/man/man1/blockforge.1.gz"), "rt") as f:
        if f.read() != run([blockforge, "--man-page"]).stdout:
            fail("the packaged man page is not what the packaged binary prints")
    desktop = run(["desktop-file-validate",
                   os.path.join(root, "usr/share/applications/blockforge.desktop")])
    if desktop.stdout or desktop.stderr:
        fail(f"desktop-file-validate: {desktop.stdout}{desktop.stderr}")


def check_unit(root, work):
    with open(root + UNIT, encoding="utf-8") as f:
        unit = f.read().splitlines()
    for setting in UNIT_SETTINGS:
        if setting not in unit:
            fail(f"the unit lacks {setting}")
    # systemd-analyze verify needs the units the service depends on (sysinit.target...):
    # verify in a root made of the package plus this machine's units. Without systemd
    # as PID 1 it still parses every setting and checks ExecStart and the man page.
    if not os.path.isdir("/lib/systemd/system"):
        fail("/lib/systemd/system is missing: install systemd (scripts/install-deps)")
    verify_root = os.path.join(work, "verify")
    shutil.copytree(root, verify_root, symlinks=True)
    shutil.copytree("/lib/systemd/system", verify_root + "/lib/systemd/system", symlinks=True,
                    dirs_exist_ok=True)
    environment = dict(os.environ, MANPATH=verify_root + "/usr/share/man")
    verify = run(["systemd-analyze", "verify", f"--root={verify_root}", UNIT],
                 env=environment)
    if verify.stdout or verify.stderr:   # unknown keys and bad values are only warnings
        fail(f"systemd-analyze verify: {verify.stdout}{verify.stderr}")
    return unit


def environment_file(root):
    values = {}
    with open(root + "/etc/default/blockforge-server", encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                name, _, value = line.partition("=")
                values[name] = value
    for name in ("BLOCKFORGE_HOST", "BLOCKFORGE_PORT", "BLOCKFORGE_DIFFICULTY", "BLOCKFORGE_DB"):
        if not values.get(name):
            fail(f"/etc/default/blockforge-server does not set {name}")
    if not values["BLOCKFORGE_DB"].startswith("/var/lib/blockforge-server/"):
        fail("the default database is not in the StateDirectory /var/lib/blockforge-server")
    return values


def check_exec_start(root, unit, work):
    """The unit's ExecStart, with the environment file's settings, starts the server."""
    values = environment_file(root)
    values["BLOCKFORGE_HOST"] = "127.0.0.1"             # whatever the shipped default
    values["BLOCKFORGE_PORT"] = "0"                     # any free port
    values["BLOCKFORGE_DB"] = os.path.join(work, "state", "chain.db")
    exec_start = next(line for line in unit if line.startswith("ExecStart="))[10:]
    command = []
    for word in exec_start.split():
        braced = re.fullmatch(r"\$\{(\w+)\}", word)
        bare = re.fullmatch(r"\$(\w+)", word)
        if braced:
            command.append(values[braced.group(1)])     # one word, even when empty
        elif bare:
            command += values.get(bare.group(1), "").split()
        else:
            command.append(word)
    if command[:2] != ["/usr/bin/blockforge", "--server"]:
        fail(f"ExecStart does not run /usr/bin/blockforge --server: {exec_start}")
    command[0] = os.path.join(root, "usr/bin/blockforge")
    server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        line, deadline = "", time.monotonic() + 60
        while "Serving a chain" not in line and time.monotonic() < deadline:
            line = server.stderr.readline()
            if not line and server.poll() is not None:
                fail(f"ExecStart {command} exited {server.returncode} before serving")
        if "Serving a chain" not in line:
            fail("ExecStart did not start serving within 60 s")
        server.send_signal(signal.SIGTERM)
        rest = server.communicate(timeout=60)[1]
    finally:
        if server.poll() is None:
            server.kill()
    if server.returncode != 0 or "Shutting down on a signal" not in rest:
        fail(f"the server did not stop cleanly on SIGTERM ({server.returncode}): {rest}")


def main():
    if len(sys.argv) != 4:
        fail(__doc__)
    cpack, build, version = sys.argv[1:]
    with tempfile.TemporaryDirectory(prefix="blockforge-deb-") as work:
        run([cpack, "-G", "DEB", "-B", work, "--config",
             os.path.join(build, "CPackConfig.cmake")], cwd=build)
        debs = [name for name in os.listdir(work) if name.endswith(".deb")]
        architecture = run(["dpkg", "--print-architecture"]).stdout.strip()
        if debs != [f"blockforge_{version}-1_{architecture}.deb"]:
            fail(f"cpack made {debs}")
        deb = os.path.join(work, debs[0])
        check_control(deb, version)
        check_contents(deb)
        check_control_files(deb, work)
        root = os.path.join(work, "root")
        run(["dpkg-deb", "-x", deb, root])
        check_extracted(root, version)
        unit = check_unit(root, work)
        check_exec_start(root, unit, work)
        print(f"OK: {debs[0]} ({os.path.getsize(deb)} bytes)")


if __name__ == "__main__":
    main()

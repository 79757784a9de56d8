#!/usr/bin/env python3
"""A throw-away PostgreSQL cluster for the tests: the one harness every PostgreSQL test uses.

    pgcluster.py start DIR     create (first time) and start a cluster in DIR; print its URL
    pgcluster.py stop DIR      stop it (fast shutdown: clients are disconnected)
    pgcluster.py url DIR       print the URL again

The cluster lives in DIR/data, listens on 127.0.0.1 on a free port (kept in DIR/port, so a
restart keeps it) and on a unix socket in DIR/socket, and has one role "blockforge" with a
password (scram-sha-256 over TCP) owning the database "blockforge". Run as root (CI, this
machine), PostgreSQL runs as the unprivileged user "nobody" (created if missing), as it
refuses to run as root. Debian 12's `postgresql` package provides initdb and pg_ctl; where
they are missing this fails loudly: a test that needs PostgreSQL does not skip.
"""
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys

USER = "blockforge"
PASSWORD = "s3cret-pw"
DATABASE = "blockforge"


def binaries():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        which = shutil.which("initdb")
        if not which:
            raise SystemExit("pgcluster: PostgreSQL is not installed (no initdb): "
                             "run scripts/install-deps")
        return os.path.dirname(which)
    return os.path.dirname(found[-1])


def run_as():
    """The user to run PostgreSQL as: ourselves, or "nobody" when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("nobody")
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "nobody"], check=True)
    return "nobody"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args, user, **kwargs):
    kwargs.setdefault("check", True)
    kwargs.setdefault("stdout", subprocess.DEVNULL)
    if user:
        return subprocess.run(args, user=user, group=pwd.getpwnam(user).pw_gid, **kwargs)
    return subprocess.run(args, **kwargs)


def url(directory):
    with open(os.path.join(directory, "port")) as f:
        port = int(f.read())
    return f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{port}/{DATABASE}"


def start(directory):
    directory = os.path.abspath(directory)
    bin_dir = binaries()
    user = run_as()
    data = os.path.join(directory, "data")
    sock = os.path.join(directory, "socket")
    port_file = os.path.join(directory, "port")
    os.makedirs(directory, exist_ok=True)
    fresh = not os.path.exists(os.path.join(data, "PG_VERSION"))
    if fresh:
        if user:   # temporary folders are root's, 0700: let the server user reach its own
            os.chmod(directory, 0o755)
            parent = os.path.dirname(directory)
            while parent != os.path.dirname(parent):   # traverse (not list) the ones above
                mode = os.stat(parent).st_mode
                if not mode & 0o001:
                    os.chmod(parent, (mode & 0o7777) | 0o001)
                parent = os.path.dirname(parent)
        for d in (data, sock):
            os.makedirs(d, mode=0o700, exist_ok=True)
            if user:
                entry = pwd.getpwnam(user)
                os.chown(d, entry.pw_uid, entry.pw_gid)
        pwfile = os.path.join(sock, "pw")
        with open(pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        if user:
            os.chown(pwfile, pwd.getpwnam(user).pw_uid, -1)
        result = run([os.path.join(bin_dir, "initdb"), "-D", data, "-U", USER, "--pwfile", pwfile,
                      "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                      "--locale=C.UTF-8", "--no-sync"], user, check=False,
                     stderr=subprocess.PIPE)
        if result.returncode != 0:
            raise SystemExit(f"pgcluster: initdb failed in {data}: "
                             f"{result.stderr.decode(errors='replace')}")
        os.remove(pwfile)
        with open(os.path.join(data, "postgresql.conf"), "a") as f:
            f.write("\n# pgcluster.py: a small test cluster\n"
                    f"listen_addresses = '127.0.0.1'\nunix_socket_directories = '{sock}'\n"
                    "max_connections = 50\nshared_buffers = 16MB\n"
                    "dynamic_shared_memory_type = mmap\n")
        with open(port_file, "w") as f:
            f.write(str(free_port()))
    with open(port_file) as f:
        port = int(f.read())
    log = os.path.join(sock, "server.log")
    result = run([os.path.join(bin_dir, "pg_ctl"), "-D", data, "-l", log, "-w", "-t", "60",
                  "-o", f"-p {port}", "start"], user, check=False, stderr=subprocess.PIPE)
    if result.returncode != 0:
        tail = open(log).read()[-2000:] if os.path.exists(log) else ""
        raise SystemExit(f"pgcluster: cannot start PostgreSQL in {data}: "
                         f"{result.stderr.decode(errors='replace')}{tail}")
    if fresh:
        run([os.path.join(bin_dir, "createdb"), "-h", sock, "-p", str(port), "-U", USER,
             DATABASE], user)
    return url(directory)


def stop(directory, mode="fast"):
    directory = os.path.abspath(directory)
    data = os.path.join(directory, "data")
    if not os.path.exists(os.path.join(data, "postmaster.pid")):
        return
    run([os.path.join(binaries(), "pg_ctl"), "-D", data, "-w", "-t", "60", "-m", mode, "stop"],
        run_as(), check=False, stderr=subprocess.DEVNULL)


def psql(directory, sql):
    """Runs sql on the cluster's database (over its socket); returns psql's stdout."""
    directory = os.path.abspath(directory)
    with open(os.path.join(directory, "port")) as f:
        port = f.read().strip()
    result = run([os.path.join(binaries(), "psql"), "-h", os.path.join(directory, "socket"),
                  "-p", port, "-U", USER, "-d", DATABASE, "-v", "ON_ERROR_STOP=1", "-Atc",
                  sql], run_as(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return result.stdout.decode()


def main(argv):
    if len(argv) < 3 or argv[1] not in ("start", "stop", "url", "psql"):
        print(__doc__, file=sys.stderr)
        return 2
    if argv[1] == "start":
        print(start(argv[2]))
    elif argv[1] == "stop":
        stop(argv[2])
    elif argv[1] == "url":
        print(url(argv[2]))
    else:
        sys.stdout.write(psql(argv[2], argv[3]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

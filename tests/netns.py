"""Run a command inside a private network namespace (with its own mount and
PID namespaces), where an NDI sender may advertise itself: there, only a
loopback and a veth pair with no way out exist, and a D-Bus system bus and
an avahi daemon of its own (on the veth: avahi ignores loopback) let the
NDI runtime register and find sources by mDNS. When the command ends, the
PID namespace ends, and every process started in it with it.

Needs root (or user namespaces), util-linux's unshare, iproute2, dbus-daemon
and avahi-daemon; :func:`unavailable` says which is missing.
"""

import os
import shutil
import subprocess
from pathlib import Path

_AVAHI_CONF = """[server]
host-name=visualizer-test
use-ipv4=yes
use-ipv6=no
allow-interfaces=ndi0
enable-dbus=yes
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
"""

_SETUP = """set -e
ip link set lo up
ip link set lo multicast on
ip route add 224.0.0.0/4 dev lo
ip link add ndi0 type veth peer name ndi1
ip addr add 10.77.0.1/24 dev ndi0
ip link set ndi1 up
ip link set ndi0 up
mount --make-rprivate /
mount -t tmpfs tmpfs /run
mkdir -p /run/dbus /run/avahi-daemon
dbus-daemon --system --fork
avahi-daemon -f "$AVAHI_CONF" --no-drop-root --no-chroot --no-rlimits -D
for i in $(seq 100); do [ -S /run/avahi-daemon/socket ] && break; sleep 0.05; done
exec "$@"
"""


def unavailable() -> str:
    """Why a private namespace with avahi cannot be made here; "" if it can."""
    for tool in ("unshare", "ip", "dbus-daemon", "avahi-daemon"):
        if shutil.which(tool) is None:
            return f"no {tool} on this machine"
    probe = subprocess.run(["unshare", "-n", "-m", "-p", "--fork", "true"],
                           capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        return f"cannot make namespaces here ({probe.stderr.strip()})"
    return ""


def run_private(command: list[str], tmp: Path, *, timeout: float, cwd=None,
                env: dict | None = None) -> subprocess.CompletedProcess:
    """``command`` in a fresh private network namespace with avahi (see above)."""
    conf = tmp / "avahi-daemon.conf"
    conf.write_text(_AVAHI_CONF)
    (tmp / "ndi").mkdir(exist_ok=True)
    env = {**(env or os.environ), "AVAHI_CONF": str(conf), "NDI_CONFIG_DIR": str(tmp / "ndi")}
    return subprocess.run(["unshare", "-n", "-m", "-p", "--fork", "--kill-child", "--mount-proc",
                           "sh", "-c", _SETUP, "sh", *command],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)

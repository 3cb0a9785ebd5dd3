/**
 * On Linux and the BSDs the keyring is the Secret Service, reached over the D-Bus session bus.
 * @napi-rs/keyring (zbus) connects to DBUS_SESSION_BUS_ADDRESS or else to
 * `$XDG_RUNTIME_DIR/bus` (`/run/user/UID/bus` without it), and has no X11 autolaunch. When
 * neither socket exists, as in CI containers and SSH sessions without a desktop, the lookup can
 * only fail: knowing that from one stat saves starting a keyring child process (~100 ms) per run.
 */
export interface BusEnvironment {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  uid: number;
  exists: (path: string) => boolean;
}

/** Why the session bus cannot be there, or undefined when it may be (then the child finds out). */
export function sessionBusProblem({
  env,
  platform,
  uid,
  exists,
}: BusEnvironment): string | undefined {
  if (platform === "darwin" || platform === "win32") return undefined;
  const address = (env.DBUS_SESSION_BUS_ADDRESS ?? "").trim();
  if (address !== "") {
    const paths = address.split(";").map(unixPath);
    // Any address other than a plain socket path (abstract, tcp, launchd...) cannot be judged here.
    if (paths.some((path) => path === undefined || exists(path))) return undefined;
    return `no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS names ${paths.join(", ")}, which does not exist`;
  }
  const runtime = (env.XDG_RUNTIME_DIR ?? "").trim() || `/run/user/${uid}`;
  const path = `${runtime.replace(/\/+$/, "")}/bus`;
  if (exists(path)) return undefined;
  return `no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set and ${path} does not exist`;
}

/** The socket path of a `unix:path=...` address (D-Bus escapes bytes as %XX), else undefined. */
function unixPath(address: string): string | undefined {
  const match = /^unix:(?:.*,)?path=([^,]*)/.exec(address.trim());
  if (!match?.[1]) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
}

import { describe, expect, it } from "vitest";
import { sessionBusProblem } from "../../src/credentials/session-bus.js";

const base = { env: {}, platform: "linux" as const, uid: 1000 };
const only =
  (...paths: string[]) =>
  (path: string) =>
    paths.includes(path);

describe("sessionBusProblem (whether a keyring child can reach the Secret Service)", () => {
  it("no address and no runtime socket: a problem naming the path looked at", () => {
    expect(sessionBusProblem({ ...base, exists: only() })).toBe(
      "no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set and /run/user/1000/bus does not exist",
    );
  });

  it("the default socket exists: no problem", () => {
    expect(sessionBusProblem({ ...base, exists: only("/run/user/1000/bus") })).toBeUndefined();
  });

  it("XDG_RUNTIME_DIR replaces /run/user/UID", () => {
    const env = { XDG_RUNTIME_DIR: "/tmp/rt/" };
    expect(sessionBusProblem({ ...base, env, exists: only("/tmp/rt/bus") })).toBeUndefined();
    expect(sessionBusProblem({ ...base, env, exists: only("/run/user/1000/bus") })).toMatch(
      /\/tmp\/rt\/bus does not exist/,
    );
  });

  it("an address with a socket path: judged by that path (escapes decoded), runtime dir ignored", () => {
    const env = { DBUS_SESSION_BUS_ADDRESS: "unix:path=/tmp/my%20bus,guid=abc" };
    expect(sessionBusProblem({ ...base, env, exists: only("/tmp/my bus") })).toBeUndefined();
    expect(sessionBusProblem({ ...base, env, exists: only("/run/user/1000/bus") })).toBe(
      "no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS names /tmp/my bus, which does not exist",
    );
  });

  it("addresses that cannot be checked by a stat are left to the child", () => {
    for (const address of [
      "unix:abstract=/tmp/dbus-x",
      "tcp:host=127.0.0.1,port=1",
      "unix:path=/nope;unix:abstract=/x",
    ]) {
      expect(
        sessionBusProblem({ ...base, env: { DBUS_SESSION_BUS_ADDRESS: address }, exists: only() }),
      ).toBeUndefined();
    }
  });

  it("macOS and Windows keychains do not use D-Bus", () => {
    for (const platform of ["darwin", "win32"] as const) {
      expect(sessionBusProblem({ ...base, platform, exists: only() })).toBeUndefined();
    }
  });
});

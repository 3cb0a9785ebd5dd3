import { arch, platform } from "node:os";

/** Sent with every request: pkgpush's version, Node's, and the platform (as twine does). */
export const USER_AGENT = `pkgpush/${PKGPUSH_VERSION} (node ${process.version}; ${platform()} ${arch()})`;

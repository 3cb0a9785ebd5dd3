/** Injected by scripts/build.mjs (esbuild `define`). */
declare const PKGPUSH_VERSION: string;

/**
 * The sending half of a run (publish/send.ts: the HTTP stack, mostly undici, compiled on the main
 * thread; publish/hash-ahead.ts), loaded once, on first use: a dry run never loads it. A caller
 * that knows it will send (not a dry run) starts loading it before `prepare`, which spends much of
 * its time waiting (files read, an sdist inflated on libuv's threads, a keyring asked): the
 * modules then compile in those waits instead of after them.
 */
export interface SendingModules {
  ahead: Promise<typeof import("./hash-ahead.js")>;
  core: Promise<typeof import("./send.js")>;
}

let modules: SendingModules | undefined;

export function loadSending(): SendingModules {
  if (!modules) {
    modules = { ahead: import("./hash-ahead.js"), core: import("./send.js") };
    // Awaited by send(); a run that fails before it sends must not leave them unhandled.
    modules.ahead.catch(() => undefined);
    modules.core.catch(() => undefined);
  }
  return modules;
}

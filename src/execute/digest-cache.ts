import type { Blake2bAhead } from "../distributions/blake2b-thread.js";
import { computeDigests, type Digests } from "../distributions/digests.js";

/** A promise settled from outside: the upload that computes digests while sending settles it. */
interface Claim {
  /** The digests, as the upload computed them in the same pass as sending. */
  resolve(digests: Digests): void;
  /** The upload never streamed the whole file (it failed first): hash it on its own. */
  settle(): void;
}

/**
 * Each file is hashed once per run, however many servers it goes to: either ahead of sending
 * (`get`), or while it is sent to the first server (`claim`), the other servers waiting for it.
 * md5 is computed only for the files that go to a server asking for it (`wantsMd5`).
 */
export class DigestCache {
  private readonly known = new Map<string, Promise<Digests>>();

  constructor(
    private readonly signal?: AbortSignal,
    private readonly wantsMd5: (path: string) => boolean = () => false,
    /**
     * Digests the caller computed in a pass it made anyway (sync: while downloading), filled in
     * as files arrive: such a file is not read again. md5 must be there when it is wanted.
     */
    private readonly given: ReadonlyMap<string, Digests> = new Map(),
    /** BLAKE2b of large files started before the run reached them (`hashAhead`). */
    private readonly ahead?: Pick<Blake2bAhead, "take">,
  ) {}

  private givenFor(path: string): Digests | undefined {
    const digests = this.given.get(path);
    return digests && (digests.md5 !== undefined || !this.wantsMd5(path)) ? digests : undefined;
  }

  /** What to compute for this file (md5 or not), for a caller hashing it itself (claims). */
  optionsFor(path: string): {
    md5: boolean;
    signal?: AbortSignal | undefined;
    blake2b?: Promise<string> | undefined;
  } {
    return { md5: this.wantsMd5(path), signal: this.signal, blake2b: this.ahead?.take(path) };
  }

  get(path: string): Promise<Digests> {
    let digests = this.known.get(path);
    if (!digests) {
      const given = this.givenFor(path);
      digests = given ? Promise.resolve(given) : computeDigests(path, this.optionsFor(path));
      this.known.set(path, digests);
    }
    return digests;
  }

  /** Undefined when the digests are already known or being computed elsewhere. */
  claim(path: string): Claim | undefined {
    if (this.known.has(path) || this.givenFor(path)) return undefined;
    let done = false;
    let resolvePromise!: (digests: Digests | Promise<Digests>) => void;
    const promise = new Promise<Digests>((resolve) => {
      resolvePromise = resolve;
    });
    // settle() after an abort rejects it, maybe with no job left to await it: that must not be
    // an unhandled rejection (it would end the run as an internal error, without the summary).
    promise.catch(() => undefined);
    this.known.set(path, promise);
    return {
      resolve: (digests) => {
        if (done) return;
        done = true;
        resolvePromise(digests);
      },
      settle: () => {
        if (done) return;
        done = true;
        resolvePromise(computeDigests(path, this.optionsFor(path)));
      },
    };
  }
}

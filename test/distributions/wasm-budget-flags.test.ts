/**
 * When pkgpush touches V8's WebAssembly tier-up budget (src/distributions/wasm-budget.ts): only
 * while BLAKE2b's module is compiled (the first hasher), and the HTTP stack's own setting waits
 * for that compile to end. Any other window with the low budget could catch undici compiling its
 * parser at a first connection (test/distributions/wasm-budget.test.ts shows what that costs).
 */
import { beforeEach, describe, expect, it, vi } from "vitest";

const flags: string[] = [];
vi.mock("node:v8", async (original) => ({
  ...(await original<typeof import("node:v8")>()),
  setFlagsFromString: (flag: string) => {
    flags.push(flag);
  },
}));

// hash-wasm's own compile, held until the test lets it finish.
let release: () => void = () => undefined;
const held = new Promise<void>((resolve) => {
  release = resolve;
});
const creates: number[] = [];
vi.mock("hash-wasm/dist/blake2b.umd.min.js", async (original) => {
  const real = await original<typeof import("hash-wasm/dist/blake2b.umd.min.js")>();
  return {
    ...real,
    createBLAKE2b: async (bits: number) => {
      creates.push(bits);
      await held;
      return real.createBLAKE2b(bits);
    },
  };
});

const { blake2bHasher, HASHING_BUDGET_FLAG, HIGH_BUDGET_FLAG } = await import(
  "../../src/distributions/wasm-budget.js"
);

beforeEach(() => {
  flags.length = 0;
});

describe("the WebAssembly tier-up budget", () => {
  it("is lowered only around the first BLAKE2b compile, and the HTTP stack waits for it", async () => {
    const first = blake2bHasher();
    // The HTTP stack loads while BLAKE2b compiles (send() does so): it leaves the budget low.
    await import("../../src/transport/v8-flags.js");
    expect(creates).toEqual([256]);
    expect(flags).toEqual([HASHING_BUDGET_FLAG]);
    release();
    await first;
    expect(flags).toEqual([HASHING_BUDGET_FLAG, HIGH_BUDGET_FLAG]);
    // Later hashers instantiate the compiled module: nothing is compiled, the budget stays.
    const third = await blake2bHasher();
    third.init();
    third.update("abc");
    expect(third.digest("hex")).toBe(
      "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319",
    );
    expect(flags).toEqual([HASHING_BUDGET_FLAG, HIGH_BUDGET_FLAG]);
  });
});

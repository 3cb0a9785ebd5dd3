import { describe, expect, it } from "vitest";
import { PerKeySlots } from "../../src/execute/per-key-slots.js";

describe("PerKeySlots", () => {
  it("runs at most `limit` tasks per key at once, the rest in the order they came", async () => {
    const slots = new PerKeySlots(2);
    const running = new Map<string, number>();
    const peak = new Map<string, number>();
    const started: string[] = [];
    const task = (key: string, name: string) =>
      slots.run(key, async () => {
        started.push(name);
        running.set(key, (running.get(key) ?? 0) + 1);
        peak.set(key, Math.max(peak.get(key) ?? 0, running.get(key) ?? 0));
        await new Promise((r) => setTimeout(r, 5));
        running.set(key, (running.get(key) ?? 1) - 1);
        return name;
      });
    const names = ["a1", "a2", "a3", "a4", "a5"];
    const results = await Promise.all([
      ...names.map((n) => task("a", n)),
      task("b", "b1"),
      task("b", "b2"),
    ]);
    expect(results).toEqual([...names, "b1", "b2"]);
    expect(peak.get("a")).toBe(2);
    expect(peak.get("b")).toBe(2);
    expect(started.filter((n) => n.startsWith("a"))).toEqual(names);
  });

  it("a failed task gives its slot back", async () => {
    const slots = new PerKeySlots(1);
    await expect(slots.run("k", async () => Promise.reject(new Error("boom")))).rejects.toThrow(
      "boom",
    );
    expect(await slots.run("k", async () => "next")).toBe("next");
  });
});

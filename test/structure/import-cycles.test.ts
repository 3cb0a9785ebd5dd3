/**
 * No import cycle in src/, between files or between layers (a layer is a top folder of src/:
 * config, resolve, transport, ...; a file directly in src/ is its own layer). Type-only imports
 * count too: a cycle of types is still two modules that cannot be understood one without the
 * other. See CONTRIBUTING.md for the layers and the direction of their dependencies.
 */
import { describe, expect, it } from "vitest";
import { cycles, importGraph, layerGraph } from "./source-shape.js";

describe("the import graph of src/", () => {
  const graph = importGraph();

  it("reads every source file and its imports", () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get("cli.ts")?.length).toBeGreaterThan(0);
  });

  it("has no cycle between files", () => {
    expect(cycles(graph).map((c) => c.join(" -> "))).toEqual([]);
  });

  it("has no cycle between layers (top folders)", () => {
    const layers = layerGraph(graph);
    const found = cycles(layers).map((c) => {
      // Name one import behind each step, so the message says what to move.
      const steps = c.slice(1).map((to, k) => {
        const from = c[k] as string;
        const file = [...graph].find(
          ([f, targets]) => f.startsWith(`${from}/`) && targets.some((t) => t.startsWith(`${to}/`)),
        );
        return `${from} -> ${to} (${file?.[0] ?? "?"})`;
      });
      return steps.join(", ");
    });
    expect(found).toEqual([]);
  });
});

describe("the cycle finder", () => {
  const g = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

  it("finds a cycle, a self-import, and nothing in a DAG", () => {
    expect(cycles(g({ a: ["b"], b: ["c"], c: ["a"], d: ["a"] }))).toEqual([["a", "b", "c", "a"]]);
    expect(cycles(g({ a: ["a"] }))).toEqual([["a", "a"]]);
    expect(cycles(g({ a: ["b", "c"], b: ["c"], c: [] }))).toEqual([]);
  });
});

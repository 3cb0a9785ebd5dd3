import type { Credentials } from "../credentials/types.js";
import type { Plan } from "../plan/plan.js";
import { formatBytes } from "./log.js";
import { formatTable } from "./table.js";

const modeText: Record<Plan["mode"], string> = {
  explicit: "servers named on the command line",
  routing: "routed by release-packages",
  default: "no release-packages configured: default server pypi",
};

/** `--dry-run`: what would be sent where, as whom. Never the password, only where it comes from. */
export function formatPlan(plan: Plan, credentials: Map<string, Credentials>): string {
  const files = [...new Map(plan.jobs.map((j) => [j.dist.path, j.dist])).values()];
  const lines = [
    `Dry run: would ${plan.action} ${files.length} file${files.length === 1 ? "" : "s"} to ${plan.servers.length} server${plan.servers.length === 1 ? "" : "s"} (${modeText[plan.mode]}); nothing is sent.`,
    "",
    "Servers:",
  ];
  const serverRows = plan.servers.map((server) => {
    const c = credentials.get(server.name) ?? {};
    return [
      server.name,
      server.repository,
      c.username ? `user ${c.username} (from ${c.usernameSource})` : "no user name",
      `${c.password ? `password from ${c.passwordSource}` : "no password found"}${server.immutable ? "; permanent index" : ""}`,
    ];
  });
  lines.push(...formatTable(serverRows, "  "), "", "Files:");
  // Servers per file from one pass over the jobs (a filter per file is quadratic: 2000 files).
  const serversOf = new Map<string, string[]>();
  for (const j of plan.jobs) {
    const names = serversOf.get(j.dist.path);
    if (names) names.push(j.server.name);
    else serversOf.set(j.dist.path, [j.server.name]);
  }
  const fileRows = files.map((dist) => [
    dist.filename,
    `${dist.name} ${dist.version}`,
    formatBytes(dist.size),
    `-> ${(serversOf.get(dist.path) ?? []).join(", ")}`,
  ]);
  lines.push(...formatTable(fileRows, "  "));
  if (plan.notes.length > 0) lines.push("", "Routing notes:", ...plan.notes.map((n) => `  ${n}`));
  lines.push("", "Order:");
  for (const job of plan.jobs) {
    const wait =
      job.after.length > 0 ? ` (after ${job.after.map((id) => `#${id + 1}`).join(", ")})` : "";
    lines.push(`  #${job.id + 1} ${job.action} ${job.dist.filename} -> ${job.server.name}${wait}`);
  }
  return lines.join("\n");
}

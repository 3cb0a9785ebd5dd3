import type { Credentials } from "../credentials/types.js";
import type { Plan } from "../plan/plan.js";
import { formatBytes } from "./log.js";

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
  for (const server of plan.servers) {
    const c = credentials.get(server.name) ?? {};
    const user = c.username ? `user ${c.username} (from ${c.usernameSource})` : "no user name";
    const password = c.password ? `password from ${c.passwordSource}` : "no password found";
    lines.push(
      `  ${server.name}  ${server.repository}  ${user}, ${password}${server.immutable ? ", permanent" : ""}`,
    );
  }
  lines.push("", "Files:");
  for (const dist of files) {
    const to = plan.jobs.filter((j) => j.dist.path === dist.path).map((j) => j.server.name);
    lines.push(
      `  ${dist.filename} (${dist.name} ${dist.version}, ${formatBytes(dist.size)}) -> ${to.join(", ")}`,
    );
  }
  lines.push("", "Order:");
  for (const job of plan.jobs) {
    const wait =
      job.after.length > 0 ? ` (after ${job.after.map((id) => `#${id + 1}`).join(", ")})` : "";
    lines.push(`  #${job.id + 1} ${job.action} ${job.dist.filename} -> ${job.server.name}${wait}`);
  }
  return lines.join("\n");
}

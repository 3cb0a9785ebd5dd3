/**
 * The description thread's worker (description-thread.ts): renders each description it is sent
 * with checkDescription and answers with the verdict under the same id. It holds only the
 * renderer, so its code warms up here once while the main thread reads the archives. Bundled
 * as dist/readme-worker.js (and action/readme-worker.js) next to the chunks that start it.
 */
import { parentPort } from "node:worker_threads";
import { checkDescription } from "./index.js";

export interface RenderRequest {
  id: number;
  text: string;
  contentType: string | undefined;
}

export type RenderAnswer =
  | { id: number; verdict: ReturnType<typeof checkDescription> }
  | { id: number; error: string };

parentPort?.on("message", ({ id, text, contentType }: RenderRequest) => {
  let answer: RenderAnswer;
  try {
    answer = { id, verdict: checkDescription(text, contentType) };
  } catch (error) {
    // The main thread renders this one itself, so a bug fails the same way with or without it.
    answer = { id, error: String((error as Error)?.message ?? error) };
  }
  parentPort?.postMessage(answer);
});

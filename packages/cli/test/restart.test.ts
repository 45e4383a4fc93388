import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Mixpeek } from "mixpeek";
import { CLI_MAIN, longClip, tempDir, TINY_MODEL_DIR } from "./support.js";

const tsxLoader = createRequire(import.meta.url).resolve("tsx");

/** Starts `scenecap dev` as its own process (from source) and resolves with its base URL. */
function startDevProcess(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", tsxLoader, "--conditions=source", CLI_MAIN, "dev", "--port", "0", "--data", dataDir, "--api-key", "sk_restart_test"], {
    env: { ...process.env, SCENECAP_LEASE_MS: "3000" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /base URL: (\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]! });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
    child.once("exit", (code) => reject(new Error(`scenecap dev exited with ${code}:\n${out}`)));
  });
}

describe("scenecap dev restart", () => {
  let dir: string;
  let clip: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    dir = await tempDir("restart");
    clip = await longClip(dir, 90);
  });
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  });

  it("resumes a task after the process is killed mid-task, without duplicate or missing documents", async () => {
    const dataDir = join(dir, "data");
    const first = await startDevProcess(dataDir);
    children.push(first.child);
    let mx = new Mixpeek({ apiKey: "sk_restart_test", baseUrl: first.url, maxRetries: 0 });
    const ingest = await mx.collections.ingest({
      collection_id: "resume",
      source: { path: clip },
      feature_extractors: [{ name: "scene_description", version: "v1", params: { model_id: TINY_MODEL_DIR, time_split_interval: 1 } }],
    });
    // Kill the process (no chance to clean up) once the job is under way.
    for (;;) {
      const t = await mx.tasks.get(ingest.task_id);
      const done = Number((t.additional_data as Record<string, unknown> | null)?.segments_done ?? 0);
      if (done > 0) break;
      expect(t.status).not.toBe("COMPLETED");
      await new Promise((r) => setTimeout(r, 100));
    }
    first.child.kill("SIGKILL");
    await new Promise((r) => first.child.once("exit", r));

    const second = await startDevProcess(dataDir);
    children.push(second.child);
    mx = new Mixpeek({ apiKey: "sk_restart_test", baseUrl: second.url, maxRetries: 0 });
    const task = await mx.tasks.wait(ingest.task_id, { timeout: 240_000, pollInterval: 250, maxPollInterval: 1000 });
    expect(task.status).toBe("COMPLETED");

    const docs: Array<{ document_id: string; start_time: number }> = [];
    for await (const d of mx.collections.documents.list(ingest.collection_id, { limit: 50 })) docs.push(d as never);
    expect(docs).toHaveLength(90);
    expect(new Set(docs.map((d) => d.document_id)).size).toBe(90);
    expect(docs.map((d) => d.start_time).sort((a, b) => a - b)).toEqual(Array.from({ length: 90 }, (_, i) => i));
    second.child.kill("SIGTERM");
    await new Promise((r) => second.child.once("exit", r));
  });
});

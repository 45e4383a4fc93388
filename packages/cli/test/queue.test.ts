import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { JobName, processObjectJobId } from "@scenecap/protocol";
import { BullJobQueue, createApiKey, defineConfig, startServer, type RunningServer } from "@scenecap/server";
import { createStore } from "@scenecap/store";
import { buildProgram, startDev, type RunningDev } from "../src/index.js";
import { REDIS_URL, tempDir, uniq } from "./support.js";

const ADMIN_KEY = "sk_cli_queue_admin_key";

/** Usage errors throw (instead of exiting the process) on every command, quietly. */
function throwOnUsageErrors(cmd: Command): Command {
  cmd.exitOverride().configureOutput({ writeErr: () => {}, outputError: () => {} });
  for (const sub of cmd.commands) throwOnUsageErrors(sub);
  return cmd;
}

/** Runs `scenecap …` in-process and returns what it printed. */
async function scenecap(...args: string[]): Promise<string> {
  const lines: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void lines.push(a.join(" ")));
  try {
    await throwOnUsageErrors(buildProgram()).parseAsync(["node", "scenecap", ...args]);
  } finally {
    log.mockRestore();
  }
  return lines.join("\n");
}

function payload(i: number) {
  return {
    namespace_id: "ns_1", task_id: "tsk_1", batch_id: "btc_cli", bucket_id: "bkt_1", object_id: `obj_${i}`, collection_id: "col_1",
    extractor: { feature_extractor_name: "scene_description", version: "v1", parameters: {} },
  };
}

describe("scenecap queue against a fleet server (BullMQ on real Redis)", () => {
  const prefix = uniq("cliqueue");
  let dir: string;
  let server: RunningServer;
  let producer: BullJobQueue;
  let auth: string[];

  beforeAll(async () => {
    dir = await tempDir("queue");
    producer = new BullJobQueue({ redisUrl: REDIS_URL, prefix, enqueueTimeoutMs: 3000 });
    try {
      await producer.queue.waitUntilReady();
    } catch (err) {
      throw new Error(`Redis is not reachable at ${REDIS_URL} (${(err as Error).message}); start it with \`redis-server\` or set REDIS_URL`);
    }
    server = await startServer(defineConfig({
      port: 0, host: "127.0.0.1", dataDir: dir, storeUrl: `sqlite:${join(dir, "db.sqlite")}`, blobDir: join(dir, "blobs"),
      queue: { kind: "bullmq", redisUrl: REDIS_URL, prefix }, adminApiKeys: [ADMIN_KEY], logLevel: "silent",
    }), { handleSignals: false });
    auth = ["--base-url", server.url, "--api-key", ADMIN_KEY];
  });
  afterAll(async () => {
    await server?.close();
    await producer?.queue.obliterate({ force: true }).catch(() => {});
    await producer?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("counts, pauses, resumes, lists and retries through the admin API", async () => {
    for (const i of [1, 2]) await producer.enqueue(JobName.ProcessObject, payload(i), processObjectJobId(payload(i)));

    expect(await scenecap("queue", "counts", ...auth)).toMatch(/^extraction \(bullmq, running\): waiting 2, active 0, completed 0, failed 0/);
    const json = JSON.parse(await scenecap("queue", "counts", "--json", ...auth));
    expect(json).toMatchObject({ name: "extraction", mode: "bullmq", paused: false, counts: { waiting: 2 } });
    // bare `scenecap queue` means counts
    expect(await scenecap("queue", ...auth)).toMatch(/waiting 2/);

    expect(await scenecap("queue", "pause", ...auth)).toMatch(/\(bullmq, paused\)/);
    expect(await producer.queue.isPaused()).toBe(true);
    expect(await scenecap("queue", "resume", ...auth)).toMatch(/\(bullmq, running\)/);
    expect(await producer.queue.isPaused()).toBe(false);

    const waiting = await scenecap("queue", "jobs", "--state", "waiting", ...auth);
    for (const i of [1, 2]) expect(waiting).toContain(processObjectJobId(payload(i)));
    expect(await scenecap("queue", "jobs", ...auth)).toBe("no failed jobs");
    expect(await scenecap("queue", "retry-failed", "--count", "5", ...auth)).toBe("retried 0 failed job(s)");
  });

  it("reports the server's refusal of a normal key", async () => {
    const store = await createStore(`sqlite:${join(dir, "db.sqlite")}`);
    const { secret } = await createApiKey(store, "user").finally(() => store.close());
    await expect(scenecap("queue", "counts", "--base-url", server.url, "--api-key", secret)).rejects.toThrow(/403 ForbiddenError: .*admin/);
  });
});

describe("scenecap queue against `scenecap dev` (embedded mode, store queue)", () => {
  let dir: string;
  let dev: RunningDev;

  beforeAll(async () => {
    dir = await tempDir("queue-dev");
    dev = await startDev({ port: 0, dataDir: join(dir, "data"), apiKey: "sk_cli_queue_dev_key", logLevel: "silent", verbose: false });
  });
  afterAll(async () => {
    await dev?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("accepts the dev key as the admin key, prints the counts and explains that pausing needs fleet mode", async () => {
    const auth = ["--base-url", dev.url, "--api-key", dev.apiKey];
    expect(await scenecap("queue", "counts", ...auth)).toBe(
      "extraction (local, running): waiting 0, active 0, completed 0, failed 0, delayed 0, prioritized 0, waiting-children 0",
    );
    await expect(scenecap("queue", "pause", ...auth)).rejects.toThrow(/400 BadRequestError: .*BullMQ fleet mode/);
    await expect(scenecap("queue", "retry-failed", "--count", "x", ...auth)).rejects.toThrow(/not an integer/);
    await expect(scenecap("queue", "counts", "--base-url", "http://127.0.0.1:1", "--api-key", dev.apiKey)).rejects.toThrow(/cannot reach the server/);
  });
});

import { describe, expect, it } from "vitest";
import { APIUserAbortError, InternalServerError, TaskTimeoutError } from "mixpeek";
import type { Task } from "mixpeek";
import { isTerminalTaskStatus } from "../../src/resources/tasks.js";
import { envelope, makeClient } from "../helpers.js";

function statusSequence(statuses: string[]) {
  return (_req: unknown, i: number) => ({
    body: { task_id: "t-1", task_type: "api_buckets_batches_submit", status: statuses[Math.min(i, statuses.length - 1)] },
  });
}

describe("tasks.wait", () => {
  it("polls until a terminal status and reports every poll", async () => {
    const { client, requests } = makeClient(statusSequence(["PENDING", "IN_PROGRESS", "PROCESSING", "COMPLETED"]));
    const seen: string[] = [];
    const task = await client.tasks.wait("t-1", { pollInterval: 1, onProgress: (t) => void seen.push(String(t.status)) });
    expect(task.status).toBe("COMPLETED");
    expect(seen).toEqual(["PENDING", "IN_PROGRESS", "PROCESSING", "COMPLETED"]);
    expect(requests).toHaveLength(4);
    expect(requests.every((r) => r.method === "GET" && r.path === "/v1/tasks/t-1")).toBe(true);
  });

  for (const terminal of ["COMPLETED_WITH_ERRORS", "FAILED", "CANCELED", "completed", "failed"]) {
    it(`stops at ${terminal} (case-insensitive) and returns the task`, async () => {
      const { client, requests } = makeClient(statusSequence(["pending", terminal]));
      const task = await client.tasks.wait("t-1", { pollInterval: 1 });
      expect(task.status).toBe(terminal);
      expect(requests).toHaveLength(2);
    });
  }

  it("grows the interval ×1.5 up to maxPollInterval", async () => {
    const times: number[] = [];
    const { client } = makeClient((req, i) => {
      times.push(performance.now());
      return statusSequence(["PENDING", "PENDING", "PENDING", "PENDING", "COMPLETED"])(req, i);
    });
    await client.tasks.wait("t-1", { pollInterval: 20, maxPollInterval: 30 });
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // 20, 30 (capped from 30), 30 (capped from 45), 30
    expect(gaps[0]).toBeGreaterThanOrEqual(18);
    for (const g of gaps.slice(1)) expect(g).toBeGreaterThanOrEqual(28);
    for (const g of gaps) expect(g).toBeLessThan(500);
  });

  it("throws TaskTimeoutError with the last task after `timeout`", async () => {
    const { client, requests } = makeClient(statusSequence(["IN_PROGRESS"]));
    const err = (await client.tasks.wait("t-1", { timeout: 60, pollInterval: 10, maxPollInterval: 10 }).catch((e: unknown) => e)) as TaskTimeoutError;
    expect(err).toBeInstanceOf(TaskTimeoutError);
    expect(err.taskId).toBe("t-1");
    expect((err.lastTask as Task).status).toBe("IN_PROGRESS");
    expect(err.message).toMatch(/did not finish within 60 ms \(last status: IN_PROGRESS\)/);
    expect(requests.length).toBeGreaterThanOrEqual(3);
  });

  it("an abort signal stops waiting", async () => {
    const controller = new AbortController();
    const { client } = makeClient(statusSequence(["PENDING"]));
    const pending = client.tasks.wait("t-1", { pollInterval: 5_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toBeInstanceOf(APIUserAbortError);
  });

  it("a failing poll surfaces its API error (after the request's own retries)", async () => {
    const { client, requests } = makeClient(() => envelope(500, "down"), { maxRetries: 1 });
    await expect(client.tasks.wait("t-1", { pollInterval: 1 })).rejects.toBeInstanceOf(InternalServerError);
    expect(requests).toHaveLength(2);
  });

  it("rejects bad options", async () => {
    const { client } = makeClient(statusSequence(["PENDING"]));
    await expect(client.tasks.wait("t-1", { timeout: -1 })).rejects.toThrow(/timeout must be a non-negative number/);
  });

  it("isTerminalTaskStatus", () => {
    expect(["COMPLETED", "completed", "COMPLETED_WITH_ERRORS", "FAILED", "Canceled"].every(isTerminalTaskStatus)).toBe(true);
    expect(["PENDING", "IN_PROGRESS", "PROCESSING", "UNKNOWN", "", undefined].some(isTerminalTaskStatus)).toBe(false);
  });
});

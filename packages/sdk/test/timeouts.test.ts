import { describe, expect, it } from "vitest";
import { APIConnectionError, APIConnectionTimeoutError, APIUserAbortError } from "mixpeek";
import { hangUntilAborted, makeClient } from "./helpers.js";

describe("timeouts", () => {
  it("throws APIConnectionTimeoutError after `timeout` ms", async () => {
    const { client, requests } = makeClient((req) => hangUntilAborted(req.signal), { timeout: 40, maxRetries: 0 });
    const started = performance.now();
    const err = await client.tasks.get("t").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIConnectionTimeoutError);
    expect(err).toBeInstanceOf(APIConnectionError);
    expect((err as Error).message).toMatch(/timed out after 40 ms/);
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
    expect(requests).toHaveLength(1);
  });

  it("retries a timed-out request", async () => {
    const { client, requests } = makeClient((req, i) => (i < 2 ? hangUntilAborted(req.signal) : { body: { task_id: "t" } }), {
      timeout: 20,
    });
    await expect(client.tasks.get("t")).resolves.toEqual({ task_id: "t" });
    expect(requests).toHaveLength(3);
  });

  it("a per-request timeout overrides the client's", async () => {
    const { client } = makeClient((req) => hangUntilAborted(req.signal), { timeout: 60_000, maxRetries: 0 });
    await expect(client.tasks.get("t", { timeout: 25 })).rejects.toBeInstanceOf(APIConnectionTimeoutError);
  });

  it("axios' own timeout codes map to APIConnectionTimeoutError", async () => {
    const { client } = makeClient(
      () => {
        throw Object.assign(new Error("timeout of 5ms exceeded"), { code: "ECONNABORTED" });
      },
      { maxRetries: 0 },
    );
    await expect(client.tasks.get("t")).rejects.toBeInstanceOf(APIConnectionTimeoutError);
  });

  it("a caller abort is APIUserAbortError and is not retried", async () => {
    const controller = new AbortController();
    const { client, requests } = makeClient((req) => hangUntilAborted(req.signal));
    const pending = client.tasks.get("t", { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toBeInstanceOf(APIUserAbortError);
    expect(requests).toHaveLength(1);
  });

  it("an already-aborted signal sends nothing", async () => {
    const { client, requests } = makeClient(() => ({ body: {} }));
    await expect(client.tasks.get("t", { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(APIUserAbortError);
    expect(requests).toHaveLength(0);
  });
});

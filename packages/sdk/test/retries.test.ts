import { describe, expect, it } from "vitest";
import { APIConnectionError, BadRequestError, InternalServerError, RateLimitError } from "mixpeek";
import { parseRetryAfter, shouldRetry } from "../src/client.js";
import { envelope, makeClient } from "./helpers.js";

describe("retries", () => {
  for (const status of [408, 409, 429, 500, 502, 503]) {
    it(`retries ${status} up to maxRetries (default 2 → 3 attempts)`, async () => {
      const { client, requests } = makeClient(() => envelope(status, "try again"));
      await expect(client.tasks.get("t")).rejects.toMatchObject({ status });
      expect(requests).toHaveLength(3);
      expect(requests.map((r) => r.headers["x-retry-count"])).toEqual([undefined, "1", "2"]);
    });
  }

  it("does not retry other 4xx", async () => {
    const { client, requests } = makeClient(() => envelope(400, "bad"));
    await expect(client.tasks.get("t")).rejects.toBeInstanceOf(BadRequestError);
    expect(requests).toHaveLength(1);
  });

  it("succeeds after transient failures", async () => {
    const { client, requests } = makeClient((_r, i) => (i < 2 ? envelope(503, "busy") : { body: { task_id: "t", status: "PENDING" } }));
    await expect(client.tasks.get("t")).resolves.toEqual({ task_id: "t", status: "PENDING" });
    expect(requests).toHaveLength(3);
  });

  it("retries connection errors", async () => {
    const { client, requests } = makeClient((_r, i) => {
      if (i === 0) throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
      return { body: { ok: true } };
    });
    await expect(client.health.check()).resolves.toEqual({ ok: true });
    expect(requests).toHaveLength(2);
  });

  it("gives up on connection errors after maxRetries", async () => {
    const { client, requests } = makeClient(() => {
      throw new Error("ECONNRESET");
    }, { maxRetries: 1 });
    await expect(client.health.check()).rejects.toBeInstanceOf(APIConnectionError);
    expect(requests).toHaveLength(2);
  });

  it("honours maxRetries per client and per request", async () => {
    const a = makeClient(() => envelope(500, "x"), { maxRetries: 0 });
    await expect(a.client.tasks.get("t")).rejects.toBeInstanceOf(InternalServerError);
    expect(a.requests).toHaveLength(1);

    const b = makeClient(() => envelope(500, "x"), { maxRetries: 0 });
    await expect(b.client.tasks.get("t", { maxRetries: 4 })).rejects.toBeInstanceOf(InternalServerError);
    expect(b.requests).toHaveLength(5);

    const c = makeClient(() => envelope(500, "x"), { maxRetries: 5 });
    await expect(c.client.tasks.get("t", { maxRetries: 0 })).rejects.toBeInstanceOf(InternalServerError);
    expect(c.requests).toHaveLength(1);
  });

  it("x-should-retry overrides the status rule", async () => {
    const a = makeClient(() => ({ ...envelope(400, "x"), headers: { "x-should-retry": "true" } }), { maxRetries: 1 });
    await expect(a.client.tasks.get("t")).rejects.toBeInstanceOf(BadRequestError);
    expect(a.requests).toHaveLength(2);
    const b = makeClient(() => ({ ...envelope(503, "x"), headers: { "x-should-retry": "false" } }), { maxRetries: 3 });
    await expect(b.client.tasks.get("t")).rejects.toBeInstanceOf(InternalServerError);
    expect(b.requests).toHaveLength(1);
  });

  it("waits what retry-after-ms says", async () => {
    const times: number[] = [];
    const { client } = makeClient((_r, i) => {
      times.push(performance.now());
      return i === 0 ? { ...envelope(429, "slow down"), headers: { "retry-after-ms": "150" } } : { body: {} };
    });
    await client.tasks.get("t");
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(140);
  });

  it("waits what Retry-After (seconds) says", async () => {
    const times: number[] = [];
    const { client } = makeClient((_r, i) => {
      times.push(performance.now());
      return i === 0 ? { ...envelope(429, "slow down"), headers: { "retry-after": "0.2" } } : { body: {} };
    });
    await client.tasks.get("t");
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(190);
  });

  it("ignores a Retry-After above 60 s and uses the backoff instead", async () => {
    const started = performance.now();
    const { client, requests } = makeClient(() => ({ ...envelope(429, "later"), headers: { "retry-after": "3600" } }), {
      maxRetries: 1,
    });
    await expect(client.tasks.get("t")).rejects.toBeInstanceOf(RateLimitError);
    expect(requests).toHaveLength(2);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("an abort during the retry wait stops retrying", async () => {
    const controller = new AbortController();
    const { client, requests } = makeClient(() => ({ ...envelope(503, "x"), headers: { "retry-after-ms": "10000" } }));
    const pending = client.tasks.get("t", { signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    await expect(pending).rejects.toMatchObject({ name: "APIUserAbortError" });
    expect(requests).toHaveLength(1);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  it("prefers retry-after-ms", () => {
    expect(parseRetryAfter({ "retry-after-ms": "250", "retry-after": "9" }, now)).toBe(250);
  });
  it("reads seconds, fractional seconds and HTTP dates", () => {
    expect(parseRetryAfter({ "retry-after": "3" }, now)).toBe(3000);
    expect(parseRetryAfter({ "retry-after": "1.5" }, now)).toBe(1500);
    expect(parseRetryAfter({ "retry-after": "Thu, 01 Jan 2026 00:00:05 GMT" }, now)).toBe(5000);
    expect(parseRetryAfter({ "retry-after": "Wed, 31 Dec 2025 23:59:00 GMT" }, now)).toBe(0);
  });
  it("returns undefined for absent or garbage values", () => {
    expect(parseRetryAfter({}, now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter({ "retry-after": "soon" }, now)).toBeUndefined();
    expect(parseRetryAfter({ "retry-after-ms": "-5" }, now)).toBeUndefined();
  });
});

describe("shouldRetry", () => {
  it("retries exactly 408, 409, 429 and ≥500", () => {
    const retried = [400, 401, 403, 404, 408, 409, 422, 429, 500, 504].filter((s) => shouldRetry(s, {}));
    expect(retried).toEqual([408, 409, 429, 500, 504]);
  });
});

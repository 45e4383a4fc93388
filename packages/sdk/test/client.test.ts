import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Mixpeek, MixpeekError, DEFAULT_TIMEOUT_MS, DEFAULT_MAX_RETRIES, DEFAULT_BASE_URL } from "mixpeek";
import { fakeTransport, makeClient } from "./helpers.js";

const ENV_KEYS = ["MIXPEEK_API_KEY", "MIXPEEK_BASE_URL", "MIXPEEK_NAMESPACE"] as const;

describe("Mixpeek client options", () => {
  const saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    for (const k of ENV_KEYS) {
      saved[k] = process.env[k];
      delete process.env[k];
    }
  });
  afterEach(() => {
    for (const k of ENV_KEYS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it("uses documented defaults", () => {
    const mx = new Mixpeek({ apiKey: "k" });
    expect(mx.baseUrl).toBe("https://api.mixpeek.com");
    expect(DEFAULT_BASE_URL).toBe("https://api.mixpeek.com");
    expect(mx.timeout).toBe(60_000);
    expect(DEFAULT_TIMEOUT_MS).toBe(60_000);
    expect(mx.maxRetries).toBe(2);
    expect(DEFAULT_MAX_RETRIES).toBe(2);
    expect(mx.namespace).toBeNull();
  });

  it("falls back to MIXPEEK_API_KEY / MIXPEEK_BASE_URL / MIXPEEK_NAMESPACE", async () => {
    process.env.MIXPEEK_API_KEY = "sk_env";
    process.env.MIXPEEK_BASE_URL = "http://env.example:9000/";
    process.env.MIXPEEK_NAMESPACE = "ns_env";
    const { adapter, requests } = fakeTransport(() => ({ body: { collection_id: "col_1" } }));
    const mx = new Mixpeek({ axiosConfig: { adapter } });
    expect(mx.apiKey).toBe("sk_env");
    expect(mx.baseUrl).toBe("http://env.example:9000");
    await mx.collections.get("c1");
    expect(requests[0]!.url.toString()).toBe("http://env.example:9000/v1/collections/c1");
    expect(requests[0]!.headers["authorization"]).toBe("Bearer sk_env");
    expect(requests[0]!.headers["x-namespace"]).toBe("ns_env");
  });

  it("explicit options win over the environment; namespace null disables the env namespace", () => {
    process.env.MIXPEEK_API_KEY = "sk_env";
    process.env.MIXPEEK_NAMESPACE = "ns_env";
    const mx = new Mixpeek({ apiKey: "sk_opt", namespace: null });
    expect(mx.apiKey).toBe("sk_opt");
    expect(mx.namespace).toBeNull();
  });

  it("throws a clear error without an API key", () => {
    expect(() => new Mixpeek({})).toThrow(MixpeekError);
    expect(() => new Mixpeek({})).toThrow(/MIXPEEK_API_KEY/);
  });

  it("rejects a bad baseUrl, timeout or maxRetries", () => {
    expect(() => new Mixpeek({ apiKey: "k", baseUrl: "not a url" })).toThrow(/Invalid baseUrl/);
    expect(() => new Mixpeek({ apiKey: "k", baseUrl: "ftp://x" })).toThrow(/only http and https/);
    expect(() => new Mixpeek({ apiKey: "k", timeout: -1 })).toThrow(/timeout/);
    expect(() => new Mixpeek({ apiKey: "k", maxRetries: 1.5 })).toThrow(/maxRetries/);
  });

  it("accepts a base URL ending in /v1 without doubling it", async () => {
    const { client, requests } = makeClient(() => ({ body: {} }), { baseUrl: "http://h.test/v1/" });
    await client.tasks.get("t1");
    expect(requests[0]!.url.toString()).toBe("http://h.test/v1/tasks/t1");
  });
});

describe("request headers", () => {
  it("sends bearer auth, namespace, JSON content type and accept", async () => {
    const { client, requests } = makeClient(() => ({ body: { bucket_id: "bkt_1" } }), { namespace: "ns_1" });
    await client.buckets.create({ bucket_name: "b", bucket_schema: { properties: {} } });
    const h = requests[0]!.headers;
    expect(h["authorization"]).toBe("Bearer sk_test");
    expect(h["x-namespace"]).toBe("ns_1");
    expect(h["content-type"]).toBe("application/json");
    expect(h["accept"]).toBe("application/json");
    expect(h["user-agent"]).toMatch(/^mixpeek-typescript\//);
    expect(requests[0]!.body).toEqual({ bucket_name: "b", bucket_schema: { properties: {} } });
  });

  it("omits X-Namespace when none is set and for account-level endpoints", async () => {
    const { client, requests } = makeClient(() => ({ body: { results: [] } }));
    await client.collections.list();
    expect(requests[0]!.headers["x-namespace"]).toBeUndefined();

    const scoped = makeClient(() => ({ body: { results: [] } }), { namespace: "ns_1" });
    await scoped.client.namespaces.list();
    await scoped.client.namespaces.create({ namespace_name: "n" });
    await scoped.client.featureExtractors.list();
    expect(scoped.requests.map((r) => r.headers["x-namespace"])).toEqual([undefined, undefined, undefined]);
  });

  it("per-request options override headers and namespace", async () => {
    const { client, requests } = makeClient(() => ({ body: {} }), {
      namespace: "ns_default",
      defaultHeaders: { "X-Team": "a" },
    });
    await client.collections.get("c", { namespace: "ns_other", headers: { "X-Team": "b", "X-Extra": "1" } });
    await client.collections.get("c", { namespace: null });
    expect(requests[0]!.headers["x-namespace"]).toBe("ns_other");
    expect(requests[0]!.headers["x-team"]).toBe("b");
    expect(requests[0]!.headers["x-extra"]).toBe("1");
    expect(requests[1]!.headers["x-namespace"]).toBeUndefined();
    expect(requests[1]!.headers["x-team"]).toBe("a");
  });

  it("withOptions layers options over the original client without changing it", async () => {
    const { client, requests } = makeClient(() => ({ body: {} }), { namespace: "ns_a" });
    const other = client.withOptions({ namespace: "ns_b", timeout: 1234 });
    expect(other.timeout).toBe(1234);
    expect(client.timeout).toBe(60_000);
    await other.collections.get("c");
    await client.collections.get("c");
    expect(requests.map((r) => r.headers["x-namespace"])).toEqual(["ns_b", "ns_a"]);
    expect(requests[0]!.headers["authorization"]).toBe("Bearer sk_test");
  });

  it("encodes path parameters so an id cannot address another route", async () => {
    const { client, requests } = makeClient(() => ({ body: {} }));
    await client.collections.get("a/../b c");
    expect(requests[0]!.url.pathname).toBe("/v1/collections/a%2F..%2Fb%20c");
    await expect(client.collections.get("")).rejects.toThrow(/non-empty string/);
  });

  it("returns undefined for an empty 2xx body and text for a non-JSON body", async () => {
    const { client } = makeClient((_req, i) => (i === 0 ? { status: 204 } : { body: "plain", headers: { "content-type": "text/plain" } }));
    await expect(client.tasks.delete("t")).resolves.toBeUndefined();
    await expect(client.health.check()).resolves.toBe("plain");
  });
});

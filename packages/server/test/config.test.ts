import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "@scenecap/server";

describe("config", () => {
  it("has defaults for embedded mode", () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.queue).toEqual({ kind: "local" });
    expect(c.storeUrl).toMatch(/^sqlite:.*scenecap-data[/\\]scenecap\.db$/);
    expect(c.bodyLimit).toBe(64 * 1024 * 1024);
    expect(c.apiKeys).toEqual([]);
    expect(c.adminApiKeys).toEqual([]);
  });

  it("reads services, keys and sizes", () => {
    const c = loadConfig({
      PORT: "9000", DATABASE_URL: "postgres://x@h/db", REDIS_URL: "redis://r:6379", SCENECAP_API_KEYS: "sk_a, sk_b,,",
      SCENECAP_ADMIN_API_KEYS: " sk_admin ,,sk_ops",
      SCENECAP_BODY_LIMIT: "10mb", SCENECAP_SIGNING_SECRET: "0123456789abcdef", SCENECAP_PUBLIC_URL: "https://api.example.com/",
    });
    expect(c).toMatchObject({ port: 9000, storeUrl: "postgres://x@h/db", apiKeys: ["sk_a", "sk_b"], adminApiKeys: ["sk_admin", "sk_ops"], bodyLimit: 10 * 1024 * 1024, publicUrl: "https://api.example.com" });
    expect(c.queue).toEqual({ kind: "bullmq", redisUrl: "redis://r:6379", prefix: "bull" });
    expect(loadConfig({ STORE_URL: "sqlite::memory:", DATABASE_URL: "postgres://x" }).storeUrl).toBe("sqlite::memory:");
  });

  it("fails with every bad variable named", () => {
    expect(() => loadConfig({ PORT: "http", SCENECAP_BODY_LIMIT: "lots" })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: "http", SCENECAP_BODY_LIMIT: "lots" });
    } catch (e) {
      expect((e as Error).message).toMatch(/PORT/);
      expect((e as Error).message).toMatch(/SCENECAP_BODY_LIMIT/);
    }
    expect(() => loadConfig({ SCENECAP_QUEUE: "bullmq" })).toThrow(/REDIS_URL/);
  });
});

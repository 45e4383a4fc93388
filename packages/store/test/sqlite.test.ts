import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteStore, StoreInputError, createStore, parseStoreUrl } from "../src/index.js";
import { storeContract } from "./store.contract.js";

const dir = mkdtempSync(join(tmpdir(), "scenecap-store-"));
let n = 0;

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

storeContract("sqlite :memory:", async () => ({ store: await createStore("sqlite::memory:") }));

storeContract("sqlite file", async () => {
  const file = join(dir, `nested/dir-${++n}/store.db`);
  return { store: await createStore(`sqlite:${file}`), reopen: () => createStore(file) };
});

describe("sqlite specifics", () => {
  it("reads store urls", () => {
    expect(parseStoreUrl("sqlite::memory:")).toEqual({ backend: "sqlite", file: ":memory:" });
    expect(parseStoreUrl("sqlite:./data/x.db")).toEqual({ backend: "sqlite", file: "./data/x.db" });
    expect(parseStoreUrl("sqlite:///var/lib/x.sqlite")).toEqual({ backend: "sqlite", file: "/var/lib/x.sqlite" });
    expect(parseStoreUrl("data/store.sqlite")).toEqual({ backend: "sqlite", file: "data/store.sqlite" });
    expect(parseStoreUrl("postgres://u@h:5432/db?schema=s1&sslmode=disable")).toEqual({
      backend: "postgres",
      connectionString: "postgres://u@h:5432/db?sslmode=disable",
      schema: "s1",
    });
    expect(parseStoreUrl("postgresql://u@h/db")).toMatchObject({ backend: "postgres", schema: "public" });
    expect(() => parseStoreUrl("mysql://x")).toThrow(StoreInputError);
    expect(() => parseStoreUrl("")).toThrow(/empty/);
    expect(() => parseStoreUrl("postgres://u@h/db?schema=a;drop")).toThrow(/invalid schema/);
  });

  it("uses WAL, a busy timeout and foreign keys on files, and records each migration once", async () => {
    const file = join(dir, "pragmas.db");
    const store = (await createStore(file)) as SqliteStore;
    try {
      expect(store.db.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(store.db.pragma("foreign_keys", { simple: true })).toBe(1);
      expect(Number(store.db.pragma("busy_timeout", { simple: true }))).toBeGreaterThan(0);
      await store.migrate();
      const rows = store.db.prepare("SELECT version FROM scenecap_migrations").all();
      expect(rows).toEqual([{ version: 1 }]);
    } finally {
      await store.close();
    }
  });

  it("loses no increment when several threads, each with its own connection, update() one record", async () => {
    const file = join(dir, "threads.db");
    const seed = await createStore(file);
    await seed.resources.create("batch", { id: "bat", namespace_id: "ns", name: null, created_at: "", updated_at: "", data: { n: 0 } });
    await seed.close();
    const threads = 4;
    const times = 50;
    await Promise.all(
      Array.from({ length: threads }, () => {
        const w = new Worker(new URL("./fixtures/ts-worker.mjs", import.meta.url), {
          workerData: { entry: new URL("./fixtures/increment-worker.ts", import.meta.url).href, file, times },
          execArgv: ["--conditions=source"],
        });
        return new Promise<void>((resolve, reject) => {
          w.once("message", () => resolve());
          w.once("error", reject);
          w.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`))));
        });
      }),
    );
    const check = await createStore(file);
    try {
      expect((await check.resources.get("batch", "ns", "bat"))?.data.n).toBe(threads * times);
    } finally {
      await check.close();
    }
  });

  it("serialises update() across two connections to one file", async () => {
    const file = join(dir, "two-conns.db");
    const a = await createStore(file);
    const b = await createStore(file);
    try {
      await a.resources.create("batch", { id: "bat", namespace_id: "ns", name: null, created_at: "", updated_at: "", data: { n: 0 } });
      await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          (i % 2 ? a : b).resources.update("batch", "ns", "bat", (cur) => ({ data: { n: (cur.data.n as number) + 1 } })),
        ),
      );
      expect((await a.resources.get("batch", "ns", "bat"))?.data.n).toBe(30);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

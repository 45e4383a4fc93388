import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PermanentJobError, TransientJobError } from "../src/errors.js";
import { fetchToFile } from "../src/fetch/fetch-source.js";
import { startHttpServer } from "./helpers/http-server.js";

describe("fetchToFile", () => {
  let srv: Awaited<ReturnType<typeof startHttpServer>>;
  let dir: string;
  const body = Buffer.alloc(4096, 7);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "worker-fetch-"));
    srv = await startHttpServer({
      "/video.mp4": (_req, res) => {
        res.setHeader("content-type", "video/mp4");
        res.end(body);
      },
      "/page": (_req, res) => {
        res.setHeader("content-type", "text/html; charset=utf-8");
        res.end("<html><body>hello</body></html>");
      },
      "/big": (_req, res) => {
        res.setHeader("content-type", "video/mp4");
        res.end(Buffer.alloc(100_000));
      },
      "/big-chunked": (_req, res) => {
        res.setHeader("content-type", "application/octet-stream");
        let n = 0;
        const push = () => {
          if (n++ >= 20) return res.end();
          res.write(Buffer.alloc(10_000), push);
        };
        push();
      },
      "/slow": (_req, res) => {
        res.setHeader("content-type", "video/mp4");
        res.write(Buffer.alloc(10));
        const t = setTimeout(() => res.end(Buffer.alloc(10)), 5_000);
        res.on("close", () => clearTimeout(t));
      },
      "/error": (_req, res) => {
        res.statusCode = 503;
        res.end("busy");
      },
      "/redirect": (_req, res) => {
        res.statusCode = 302;
        res.setHeader("location", "/video.mp4");
        res.end();
      },
      "/redirect-private": (_req, res) => {
        res.statusCode = 301;
        res.setHeader("location", "http://10.0.0.1/internal.mp4");
        res.end();
      },
      "/loop": (_req, res) => {
        res.statusCode = 302;
        res.setHeader("location", "/loop");
        res.end();
      },
    });
  });
  afterAll(async () => {
    await srv.close();
    await rm(dir, { recursive: true, force: true });
  });
  const dest = (name: string) => join(dir, name);
  const open = { allowPrivateNetworks: true };

  it("downloads a media file and follows redirects", async () => {
    const r = await fetchToFile(srv.url("/redirect"), dest("a"), open);
    expect(r.finalUrl).toBe(srv.url("/video.mp4"));
    expect(r.contentType).toBe("video/mp4");
    expect(r.sizeBytes).toBe(body.length);
    expect(await readFile(dest("a"))).toEqual(body);
  });

  it("refuses the local server unless private networks are allowed", async () => {
    const err = await fetchToFile(srv.url("/video.mp4"), dest("b"), {}).catch((e) => e);
    expect(err).toBeInstanceOf(PermanentJobError);
    expect(err.code).toBe("blocked_url");
    expect(err.message).toMatch(/127\.0\.0\.1.*loopback/);
  });

  it("re-checks redirect targets: a redirect to a private address is refused", async () => {
    // Only the test server's own address is allowed; the redirect target (10.0.0.1) must be refused.
    const err = await fetchToFile(srv.url("/redirect-private"), dest("c"), { allowedAddresses: ["127.0.0.1"] }).catch((e) => e);
    expect(err).toBeInstanceOf(PermanentJobError);
    expect(err.code).toBe("blocked_url");
    expect(err.message).toMatch(/10\.0\.0\.1 \(private/);
    // The same allow-list lets the plain download through.
    await expect(fetchToFile(srv.url("/video.mp4"), dest("c2"), { allowedAddresses: ["127.0.0.1"] })).resolves.toMatchObject({ sizeBytes: body.length });
  });

  it("404 is a permanent error that names the status", async () => {
    const err = await fetchToFile(srv.url("/missing.mp4"), dest("d"), open).catch((e) => e);
    expect(err).toBeInstanceOf(PermanentJobError);
    expect(err.message).toMatch(/HTTP 404/);
    await expect(stat(dest("d"))).rejects.toThrow();
  });

  it("an HTML page is refused as non-media", async () => {
    const err = await fetchToFile(srv.url("/page"), dest("e"), open).catch((e) => e);
    expect(err).toBeInstanceOf(PermanentJobError);
    expect(err.code).toBe("not_media");
    expect(err.message).toMatch(/text\/html/);
  });

  it("an oversized body is refused, by Content-Length or while streaming", async () => {
    const declared = await fetchToFile(srv.url("/big"), dest("f"), { ...open, maxBytes: 50_000 }).catch((e) => e);
    expect(declared).toBeInstanceOf(PermanentJobError);
    expect(declared.code).toBe("too_large");
    const streamed = await fetchToFile(srv.url("/big-chunked"), dest("g"), { ...open, maxBytes: 50_000 }).catch((e) => e);
    expect(streamed).toBeInstanceOf(PermanentJobError);
    expect(streamed.code).toBe("too_large");
    await expect(stat(dest("g"))).rejects.toThrow();
  });

  it("a slow server times out with a transient error", async () => {
    const err = await fetchToFile(srv.url("/slow"), dest("h"), { ...open, timeoutMs: 300 }).catch((e) => e);
    expect(err).toBeInstanceOf(TransientJobError);
    expect(err.message).toMatch(/timed out after 300 ms/);
  });

  it("5xx is transient, redirect loops and bad schemes are permanent", async () => {
    expect(await fetchToFile(srv.url("/error"), dest("i"), open).catch((e) => e)).toBeInstanceOf(TransientJobError);
    const loop = await fetchToFile(srv.url("/loop"), dest("j"), { ...open, maxRedirects: 3 }).catch((e) => e);
    expect(loop).toBeInstanceOf(PermanentJobError);
    expect(loop.message).toMatch(/too many redirects/);
    const scheme = await fetchToFile("file:///etc/passwd", dest("k"), open).catch((e) => e);
    expect(scheme).toBeInstanceOf(PermanentJobError);
    expect(scheme.code).toBe("bad_url");
  });
});

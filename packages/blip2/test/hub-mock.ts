import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A mock of the Hugging Face hub (the external service we do not control): a local HTTP server answering the
 * hub's tree API and `resolve` URLs (with Range support) from the fixture directory.
 */
export interface HubMock {
  url: string;
  requests: { path: string; range: string | undefined }[];
  /** Cut the connection after this many body bytes on the next full download of `file`. */
  cut: { file: string; after: number } | null;
  /** Override the sha256 the tree reports for a file. */
  fakeSha: Map<string, string>;
  close(): Promise<void>;
}

export async function startHubMock(files: Map<string, Buffer>, MODEL_ID: string): Promise<HubMock> {
  const mock: HubMock = { url: "", requests: [], cut: null, fakeSha: new Map(), close: async () => {} };
  const prefix = `/api/models/${MODEL_ID}/tree/main`;
  const resolve = `/${MODEL_ID}/resolve/main/`;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    mock.requests.push({ path: url.pathname, range: req.headers.range });
    if (url.pathname === prefix) {
      const tree = [...files].map(([p, data]) => {
        const sha = createHash("sha256").update(data).digest("hex");
        const isLfs = p.endsWith(".safetensors");
        return {
          type: "file",
          path: p,
          size: isLfs ? 134 : data.length,
          oid: createHash("sha1").update(data).digest("hex"),
          ...(isLfs ? { lfs: { oid: mock.fakeSha.get(p) ?? sha, size: data.length, pointerSize: 134 } } : {}),
        };
      });
      tree.push({ type: "directory", path: "onnx", size: 0, oid: "0" });
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(tree));
      return;
    }
    if (url.pathname.startsWith(resolve)) {
      const name = decodeURIComponent(url.pathname.slice(resolve.length));
      const data = files.get(name);
      if (!data) {
        res.writeHead(404, { "X-Error-Code": "EntryNotFound" }).end("not found");
        return;
      }
      const etag = `"${createHash("sha1").update(data).digest("hex")}"`;
      const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
      if (range) {
        const start = Number(range[1]);
        const end = range[2] ? Number(range[2]) : data.length - 1;
        res.writeHead(206, {
          "content-range": `bytes ${start}-${end}/${data.length}`,
          "content-length": String(end - start + 1),
          etag,
        });
        res.end(data.subarray(start, end + 1));
        return;
      }
      res.writeHead(200, { "content-length": String(data.length), etag });
      if (mock.cut && mock.cut.file === name) {
        const { after } = mock.cut;
        mock.cut = null;
        res.write(data.subarray(0, after), () => setTimeout(() => res.socket?.destroy(), 20));
        return;
      }
      res.end(data);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  mock.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  mock.close = () => new Promise((r) => server.close(() => r()));
  return mock;
}


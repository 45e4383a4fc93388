import { describe, expect, it } from "vitest";
import { APIUserAbortError, BadRequestError, MixpeekError } from "mixpeek";
import { sseData } from "../src/internal/sse.js";
import { envelope, makeClient } from "./helpers.js";

async function collect<T>(iter: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iter) out.push(x);
  return out;
}

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield new TextEncoder().encode(p);
}

describe("sseData", () => {
  it("splits events across chunk boundaries, joins multi-line data, skips comments and other fields", async () => {
    const data = await collect(sseData(chunks(": keep-alive\n\nevent: x\nda", "ta: {\"a\":1}\r\n\r\ndata: line1\ndata:line2\n\nid: 7\n\n", "data: tail")));
    expect(data).toEqual(['{"a":1}', "line1\nline2", "tail"]);
  });

  it("decodes multi-byte characters split between chunks", async () => {
    const bytes = new TextEncoder().encode("data: café\n\n");
    async function* split() {
      yield bytes.slice(0, 10); // inside the two-byte "é"
      yield bytes.slice(10);
    }
    expect(await collect(sseData(split()))).toEqual(["café"]);
  });
});

/** The fake transport stands in for a (hosted) Mixpeek server answering with an event stream. */
describe("retrievers.executeStream / executeAdhocStream", () => {
  const stream = (...events: unknown[]) => ({
    headers: { "content-type": "text/event-stream" },
    body: `${events.map((e) => `data: ${typeof e === "string" ? e : JSON.stringify(e)}\n\n`).join("")}`,
  });

  it("sends stream: true and yields the events until [DONE]", async () => {
    const { client, requests } = makeClient(() =>
      stream({ event_type: "stage_start", stage_index: 0 }, { event_type: "execution_complete", documents: [{ document_id: "d1" }] }, "[DONE]", { event_type: "after-done" }),
    );
    const events = await collect(client.retrievers.executeStream("ret_1", { inputs: { query: "dog" } }));
    expect(events.map((e) => e.event_type)).toEqual(["stage_start", "execution_complete"]);
    expect(events[1]!.documents?.[0]?.document_id).toBe("d1");
    expect(requests[0]).toMatchObject({ method: "POST", path: "/v1/retrievers/ret_1/execute", body: { inputs: { query: "dog" }, stream: true } });

    const adhoc = await collect(client.retrievers.executeAdhocStream({ input_schema: {}, inputs: {}, stages: [] }));
    expect(adhoc).toHaveLength(2);
    expect(requests[1]).toMatchObject({ path: "/v1/retrievers/execute", body: { stream: true } });
  });

  it("throws the status's error class before any event, and retries a 503 before the stream starts", async () => {
    const bad = makeClient(() => envelope(400, "stages[1]: bad", "BadRequestError"));
    await expect(collect(bad.client.retrievers.executeAdhocStream({ input_schema: {}, inputs: {}, stages: [] }))).rejects.toBeInstanceOf(BadRequestError);
    const flaky = makeClient((_req, i) => (i === 0 ? envelope(503, "busy") : stream({ event_type: "execution_complete" }, "[DONE]")));
    expect(await collect(flaky.client.retrievers.executeStream("r", { inputs: {} }))).toHaveLength(1);
    expect(flaky.requests).toHaveLength(2);
  });

  it("a malformed event is a MixpeekError; an aborted signal stops the iteration", async () => {
    const { client } = makeClient(() => stream("{not json"));
    await expect(collect(client.retrievers.executeStream("r", { inputs: {} }))).rejects.toBeInstanceOf(MixpeekError);
    const controller = new AbortController();
    controller.abort();
    await expect(collect(client.retrievers.executeStream("r", { inputs: {} }, { signal: controller.signal }))).rejects.toBeInstanceOf(APIUserAbortError);
  });
});

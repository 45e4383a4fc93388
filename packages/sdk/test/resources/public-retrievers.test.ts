import { describe, expect, it } from "vitest";
import { makeClient } from "../helpers.js";

/** The fake transport stands in for hosted Mixpeek's published-retriever endpoints. */
describe("published retrievers", () => {
  it("publish / getPublished / unpublish use the account key; public calls send only X-Public-API-Key", async () => {
    const { client, requests } = makeClient((req) => {
      if (req.path.endsWith("/execute")) return { body: { results: [{ document_id: "d1", collection_id: "c", score: 1 }] } };
      if (req.path.endsWith("/config")) return { body: { public_name: "video-search", input_schema: {} } };
      return { body: { retriever_id: "ret_1", public_name: "video-search", public_api_key: "ret_sk_abc" } };
    }, { namespace: "prod" });
    const pub = await client.retrievers.publish("ret_1", { public_name: "video-search", require_api_key: true });
    await client.retrievers.getPublished("ret_1");
    await client.retrievers.unpublish("ret_1");
    const res = await client.retrievers.executePublic("video-search", { inputs: { query: "red car" } }, { publicApiKey: pub.public_api_key! });
    await client.retrievers.publicConfig("video-search");

    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /v1/retrievers/ret_1/publish",
      "GET /v1/retrievers/ret_1/publish",
      "DELETE /v1/retrievers/ret_1/publish",
      "POST /v1/public/retrievers/video-search/execute",
      "GET /v1/public/retrievers/video-search/config",
    ]);
    expect(requests[0]!.headers).toMatchObject({ authorization: "Bearer sk_test", "x-namespace": "prod" });
    expect(requests[0]!.body).toEqual({ public_name: "video-search", require_api_key: true });
    for (const r of requests.slice(3)) {
      expect(r.headers.authorization).toBeUndefined();
      expect(r.headers["x-namespace"]).toBeUndefined();
    }
    expect(requests[3]!.headers["x-public-api-key"]).toBe("ret_sk_abc");
    expect(requests[4]!.headers["x-public-api-key"]).toBeUndefined();
    expect(res.documents[0]?.document_id).toBe("d1"); // `results` → `documents`
  });

  it("executePublicStream streams without the account key", async () => {
    const { client, requests } = makeClient(() => ({
      headers: { "content-type": "text/event-stream" },
      body: `data: ${JSON.stringify({ event_type: "execution_complete", documents: [{ document_id: "d1" }] })}\n\ndata: [DONE]\n\n`,
    }));
    const events = [];
    for await (const e of client.retrievers.executePublicStream("video-search", { inputs: { query: "x" } }, { publicApiKey: "ret_sk_k" })) events.push(e);
    expect(events.map((e) => e.event_type)).toEqual(["execution_complete"]);
    expect(requests[0]).toMatchObject({ path: "/v1/public/retrievers/video-search/execute", body: { inputs: { query: "x" }, stream: true } });
    expect(requests[0]!.headers.authorization).toBeUndefined();
    expect(requests[0]!.headers["x-public-api-key"]).toBe("ret_sk_k");
  });
});

import { inspect } from "node:util";
import { AxiosError } from "axios";
import { describe, expect, it } from "vitest";
import {
  APIConnectionError,
  APIError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  InternalServerError,
  MixpeekError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  UnprocessableEntityError,
} from "mixpeek";
import { envelope, makeClient } from "./helpers.js";

const CASES: Array<[number, new (...args: never[]) => APIError]> = [
  [400, BadRequestError],
  [401, AuthenticationError],
  [403, PermissionDeniedError],
  [404, NotFoundError],
  [409, ConflictError],
  [422, UnprocessableEntityError],
  [429, RateLimitError],
  [500, InternalServerError],
  [503, InternalServerError],
];

describe("status → error class", () => {
  for (const [status, Class] of CASES) {
    it(`${status} → ${Class.name}`, async () => {
      const { client, requests } = makeClient(
        () => ({ ...envelope(status, `boom ${status}`, "SomeType"), headers: { "x-request-id": `req_${status}` } }),
        { maxRetries: 0 },
      );
      const err = await client.collections.get("c").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Class);
      expect(err).toBeInstanceOf(APIError);
      expect(err).toBeInstanceOf(MixpeekError);
      const e = err as APIError;
      expect(e.status).toBe(status);
      expect(e.message).toBe(`${status} boom ${status}`);
      expect(e.type).toBe("SomeType");
      expect(e.requestId).toBe(`req_${status}`);
      expect(e.headers?.["x-request-id"]).toBe(`req_${status}`);
      expect(e.error).toEqual({ success: false, status, error: { message: `boom ${status}`, type: "SomeType" } });
      expect(e.name).toBe(Class.name);
      expect(requests).toHaveLength(1);
    });
  }

  it("an unmapped 4xx is a plain APIError", async () => {
    const { client } = makeClient(() => envelope(418, "teapot"), { maxRetries: 0 });
    const err = await client.collections.get("c").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    expect(err).not.toBeInstanceOf(BadRequestError);
    expect((err as APIError).status).toBe(418);
  });
});

describe("error messages", () => {
  it("reads FastAPI validation `detail` arrays", async () => {
    const { client } = makeClient(() => ({
      status: 422,
      body: { detail: [{ loc: ["body", "bucket_name"], msg: "field required", type: "missing" }] },
    }));
    const err = (await client.buckets.create({} as never).catch((e: unknown) => e)) as APIError;
    expect(err).toBeInstanceOf(UnprocessableEntityError);
    expect(err.message).toBe("422 body.bucket_name: field required");
  });

  it("reads a string `detail` and plain-text bodies", async () => {
    const { client } = makeClient((_r, i) =>
      i === 0 ? { status: 404, body: { detail: "Not Found" } } : { status: 400, body: "bad thing", headers: { "content-type": "text/plain" } },
    );
    await expect(client.tasks.get("t")).rejects.toThrow("404 Not Found");
    await expect(client.tasks.get("t")).rejects.toThrow("400 bad thing");
  });

  it("says so when the body is empty", async () => {
    const { client } = makeClient(() => ({ status: 401 }));
    const err = (await client.tasks.get("t").catch((e: unknown) => e)) as APIError;
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err.message).toBe("401 status code (no body)");
  });

  it("a transport failure is an APIConnectionError carrying the cause", async () => {
    const { client, requests } = makeClient(
      () => {
        throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
      },
      { maxRetries: 0 },
    );
    const err = (await client.tasks.get("t").catch((e: unknown) => e)) as APIConnectionError;
    expect(err).toBeInstanceOf(APIConnectionError);
    expect(err.status).toBeUndefined();
    expect(err.message).toBe("Connection error: connect ECONNREFUSED 127.0.0.1:1 (GET http://mixpeek.test/v1/tasks/t)");
    expect((err.cause as Error).message).toMatch(/ECONNREFUSED/);
    expect(requests).toHaveLength(1);
  });
});

describe("secrets stay out of errors and logs", () => {
  it("a connection error does not carry the request config (and so not the API key)", async () => {
    const { client } = makeClient(
      (req) => {
        const socketError = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
        const config = { headers: { Authorization: req.headers["authorization"] }, url: req.url.toString() };
        throw Object.assign(new AxiosError("connect ECONNREFUSED 127.0.0.1:1", "ECONNREFUSED", config as never), { cause: socketError });
      },
      { apiKey: "sk_very_secret", maxRetries: 0 },
    );
    const err = (await client.tasks.get("t").catch((e: unknown) => e)) as APIConnectionError;
    expect(err).toBeInstanceOf(APIConnectionError);
    expect((err.cause as { code?: string }).code).toBe("ECONNREFUSED");
    expect(inspect(err, { depth: 20 })).not.toContain("sk_very_secret");
  });

  it("inspecting or serialising the client does not print the API key", () => {
    const { client } = makeClient(() => ({ body: {} }), { apiKey: "sk_very_secret" });
    expect(client.apiKey).toBe("sk_very_secret");
    expect(inspect(client, { depth: 3 })).not.toContain("sk_very_secret");
    expect(Object.keys(client)).not.toContain("apiKey");
  });
});

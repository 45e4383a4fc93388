import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_BASE_URL,
  DEFAULT_MAX_RETRIES,
  DEFAULT_RETRY_INITIAL_DELAY_MS,
  DEFAULT_RETRY_MAX_DELAY_MS,
  DEFAULT_TIMEOUT_MS,
  MAX_RETRY_AFTER_MS,
} from "../src/client.js";
import { DEFAULT_UPLOAD_TIMEOUT_MS } from "../src/resources/uploads.js";
import { DEFAULT_MAX_POLL_INTERVAL_MS, DEFAULT_POLL_INTERVAL_MS, DEFAULT_WAIT_TIMEOUT_MS, POLL_BACKOFF_FACTOR } from "../src/resources/tasks.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

describe("README defaults match the code", () => {
  it("client options", () => {
    expect(readme).toContain(`| \`baseUrl\` | \`MIXPEEK_BASE_URL\` | \`${DEFAULT_BASE_URL}\``);
    expect(readme).toContain(`| \`timeout\` | — | \`${DEFAULT_TIMEOUT_MS}\` ms`);
    expect(readme).toContain(`| \`maxRetries\` | — | \`${DEFAULT_MAX_RETRIES}\``);
    expect(readme).toContain(`{ initialDelay: ${DEFAULT_RETRY_INITIAL_DELAY_MS}, maxDelay: ${DEFAULT_RETRY_MAX_DELAY_MS} }`);
  });
  it("retries and timeouts sections", () => {
    expect(readme).toContain(`| \`maxRetries\` | \`${DEFAULT_MAX_RETRIES}\` (so at most ${DEFAULT_MAX_RETRIES + 1} attempts)`);
    expect(readme).toContain(`≤ ${MAX_RETRY_AFTER_MS / 1000} s`);
    expect(readme).toContain(`from \`${DEFAULT_RETRY_INITIAL_DELAY_MS}\` ms doubling to at most \`${DEFAULT_RETRY_MAX_DELAY_MS}\` ms`);
    expect(readme).toContain(`| \`timeout\` | \`${DEFAULT_TIMEOUT_MS}\` ms per attempt`);
  });
  it("tasks.wait", () => {
    expect(readme).toContain(`| \`timeout\` | \`${DEFAULT_WAIT_TIMEOUT_MS}\` ms`);
    expect(readme).toContain(`| \`pollInterval\` | \`${DEFAULT_POLL_INTERVAL_MS}\` ms | first delay; each next one is ${POLL_BACKOFF_FACTOR}× longer`);
    expect(readme).toContain(`| \`maxPollInterval\` | \`${DEFAULT_MAX_POLL_INTERVAL_MS}\` ms`);
  });
  it("uploads.uploadFile", () => {
    expect(readme).toContain(`per-attempt timeout of \`${DEFAULT_UPLOAD_TIMEOUT_MS}\` ms`);
  });
});

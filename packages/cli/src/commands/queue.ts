import { InvalidArgumentError, type Command } from "commander";
import { DEFAULT_DEV_URL, withClientOptions, type ClientFlags } from "./client.js";

const DEFAULT_QUEUE = "extraction";
const STATES = ["waiting", "active", "completed", "failed", "delayed", "prioritized", "waiting-children"] as const;

interface QueueStatus {
  name: string;
  mode: string;
  paused: boolean;
  counts: Record<string, number>;
}

interface JobSummary {
  id: string | null;
  name: string;
  attempts_made: number;
  failed_reason: string | null;
  timestamp: number | null;
  finished_on: number | null;
}

/**
 * Calls a queue admin route of a running server (the SDK has no admin resource). Error envelopes become
 * an Error carrying the server's message.
 */
export async function queueAdminRequest<T>(flags: ClientFlags, method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
  const apiKey = flags.apiKey ?? process.env.SCENECAP_API_KEY ?? process.env.MIXPEEK_API_KEY;
  if (!apiKey) throw new Error("no API key: pass --api-key or set SCENECAP_API_KEY (an admin key, see SCENECAP_ADMIN_API_KEYS)");
  const base = (flags.baseUrl ?? process.env.SCENECAP_BASE_URL ?? DEFAULT_DEV_URL).replace(/\/+$/, "");
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    throw new Error(`cannot reach the server at ${base}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    const e = (parsed as { error?: { message?: string; type?: string } } | undefined)?.error;
    throw new Error(`${res.status} ${e?.type ?? res.statusText}: ${e?.message ?? text.slice(0, 200)}`);
  }
  return parsed as T;
}

export function formatQueueStatus(q: QueueStatus): string {
  const counts = STATES.map((s) => `${s} ${q.counts[s] ?? 0}`).join(", ");
  return `${q.name} (${q.mode}, ${q.paused ? "paused" : "running"}): ${counts}`;
}

function formatJob(j: JobSummary): string {
  const when = j.finished_on ?? j.timestamp;
  const at = when ? new Date(when).toISOString() : "-";
  return `${j.id ?? "-"}  ${j.name}  attempts ${j.attempts_made}  ${at}${j.failed_reason ? `  ${j.failed_reason}` : ""}`;
}

const int = (v: string) => {
  const n = Number.parseInt(v, 10);
  if (!Number.isInteger(n) || String(n) !== v.trim()) throw new InvalidArgumentError(`not an integer: ${v}`);
  return n;
};

type Flags = ClientFlags & { queue: string; json?: boolean };

export function registerQueueCommand(program: Command): void {
  const queue = program
    .command("queue")
    .description("inspect and steer the job queue of a running server (needs an admin key)");
  const sub = (name: string, description: string, isDefault = false) =>
    withClientOptions(
      queue
        .command(name, isDefault ? { isDefault: true } : {})
        .description(description)
        .option("--queue <name>", "queue name", DEFAULT_QUEUE)
        .option("--json", "print the raw response"),
    );
  const q = (flags: Flags) => `/v1/queues/${encodeURIComponent(flags.queue)}`;

  sub("counts", "job counts per state and whether the queue is paused (the default)", true).action(async (flags: Flags) => {
    const status = await queueAdminRequest<QueueStatus>(flags, "GET", q(flags));
    console.log(flags.json ? JSON.stringify(status, null, 2) : formatQueueStatus(status));
  });

  for (const [name, description] of [
    ["pause", "stop workers taking new jobs (active ones finish)"],
    ["resume", "let workers take jobs again"],
  ] as const) {
    sub(name, description).action(async (flags: Flags) => {
      const status = await queueAdminRequest<QueueStatus>(flags, "POST", `${q(flags)}/${name}`);
      console.log(flags.json ? JSON.stringify(status, null, 2) : formatQueueStatus(status));
    });
  }

  sub("retry-failed", "move failed jobs back to waiting, oldest first")
    .option("--count <n>", "at most this many (default: all)", int)
    .action(async (flags: Flags & { count?: number }) => {
      const out = await queueAdminRequest<{ retried: number }>(flags, "POST", `${q(flags)}/retry-failed`, flags.count !== undefined ? { count: flags.count } : {});
      console.log(flags.json ? JSON.stringify(out, null, 2) : `retried ${out.retried} failed job(s)`);
    });

  sub("jobs", "list jobs of one state, newest first")
    .option("--state <state>", `one of ${STATES.join(", ")}`, "failed")
    .option("--limit <n>", "how many", int, 50)
    .option("--offset <n>", "skip this many", int, 0)
    .action(async (flags: Flags & { state: string; limit: number; offset: number }) => {
      const params = new URLSearchParams({ state: flags.state, limit: String(flags.limit), offset: String(flags.offset) });
      const out = await queueAdminRequest<{ results: JobSummary[] }>(flags, "GET", `${q(flags)}/jobs?${params}`);
      if (flags.json) console.log(JSON.stringify(out, null, 2));
      else if (out.results.length === 0) console.log(`no ${flags.state} jobs`);
      else for (const j of out.results) console.log(formatJob(j));
    });
}

import type { FastifyReply, FastifyRequest } from "fastify";
import type { RetrieverStreamEvent } from "@scenecap/protocol";
import type { AppContext } from "../context.js";
import { streamError, type ExecuteResult } from "../services/retrieval.js";

/**
 * Answers an execution as JSON, or (`stream: true`) as server-sent events: `data: <RetrieverStreamEvent>` per stage,
 * `execution_complete` with the requested page, then `data: [DONE]`. The stream opens at the first event, so
 * errors found before any stage runs (missing inputs, unknown collections) are still plain JSON errors.
 */
export async function answerExecution(
  ctx: AppContext,
  req: FastifyRequest,
  reply: FastifyReply,
  opts: { stream: boolean; legacy: boolean },
  run: (onEvent?: (e: RetrieverStreamEvent) => void) => Promise<ExecuteResult>,
): Promise<unknown> {
  if (!opts.stream) {
    const out = await run();
    return ctx.sign(req, opts.legacy ? { ...out, results: out.documents } : out);
  }
  let open = false;
  let last: Pick<RetrieverStreamEvent, "execution_id" | "total_stages"> = { execution_id: "", total_stages: 0 };
  // A client that hangs up mid-stream must not take the process down: drop what no one reads.
  const write = (data: string) => {
    if (!reply.raw.destroyed && !reply.raw.writableEnded) reply.raw.write(`data: ${data}\n\n`);
  };
  const send = (e: RetrieverStreamEvent) => {
    if (!open) {
      reply.hijack();
      reply.raw.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        "x-accel-buffering": "no",
      });
      reply.raw.on("error", (err) => req.log.debug({ err }, "event stream closed by the client"));
      open = true;
    }
    last = e;
    write(JSON.stringify(ctx.sign(req, e)));
  };
  try {
    const out = await run(send);
    send({ event_type: "execution_complete", execution_id: out.execution_id, total_stages: last.total_stages, documents: out.documents, pagination: out.pagination });
  } catch (err) {
    if (!open) throw err;
    req.log.warn({ err }, "streamed execution failed");
    send({ event_type: "execution_error", execution_id: last.execution_id, total_stages: last.total_stages, error: streamError(err) });
  }
  write("[DONE]");
  if (!reply.raw.writableEnded) reply.raw.end();
  return reply;
}

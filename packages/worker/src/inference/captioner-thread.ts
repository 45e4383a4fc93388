import { parentPort, workerData } from "node:worker_threads";
import type { Captioner } from "@scenecap/blip2";
import type { FromThread, ThreadInit, ToThread } from "./thread-protocol.js";

/**
 * A worker thread that owns one captioner (one model, device, precision). ONNX Runtime's `run()` blocks the
 * thread it is called on, so keeping it here leaves the main event loop free for BullMQ lock renewal.
 */
const init = workerData as ThreadInit;
const port = parentPort!;
const send = (m: FromThread) => port.postMessage(m);

let captioner: Captioner | null = null;
// Runs are serialised: the pool sends one batch at a time, but a queue keeps it safe if that changes.
let chain: Promise<void> = Promise.resolve();

async function load(): Promise<void> {
  try {
    const mod = (await import(init.loaderModule)) as Record<string, unknown>;
    const loader = mod[init.loaderExport] as
      | ((dir: string, opts: Record<string, unknown>) => Promise<Captioner>)
      | undefined;
    if (typeof loader !== "function") throw new Error(`${init.loaderModule} has no export ${init.loaderExport}`);
    captioner = await loader(init.modelDir, {
      ...init.loadOptions,
      device: init.device,
      precision: init.precision,
      log: (m: string) => console.error(`[captioner] ${m}`),
    });
    send({ type: "ready", device: captioner.device, precision: captioner.precision });
  } catch (err) {
    send({ type: "load_error", message: err instanceof Error ? err.message : String(err) });
  }
}

port.on("message", (msg: ToThread) => {
  if (msg.type === "close") {
    chain = chain.then(async () => {
      await captioner?.dispose();
      captioner = null;
      send({ type: "closed" });
      port.close();
    });
    return;
  }
  chain = chain.then(async () => {
    try {
      if (!captioner) throw new Error("the captioner is not loaded");
      const results = msg.mode === "answer"
        ? await captioner.answer(msg.images, msg.question, msg.options)
        : await captioner.caption(msg.images, msg.options);
      send({ type: "result", id: msg.id, results });
    } catch (err) {
      send({ type: "run_error", id: msg.id, message: err instanceof Error ? err.message : String(err) });
    }
  });
});

await load();

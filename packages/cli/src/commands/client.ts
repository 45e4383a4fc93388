import type { Command } from "commander";
import { Mixpeek } from "mixpeek";

export const DEFAULT_DEV_URL = "http://localhost:8080";

/** Options shared by the commands that talk to a running server. */
export function withClientOptions(cmd: Command): Command {
  return cmd
    .option("--base-url <url>", "server URL (default $SCENECAP_BASE_URL or the dev server)")
    .option("--api-key <key>", "API key (default $SCENECAP_API_KEY)")
    .option("--namespace <ns>", "namespace id or name (default: the key's own)");
}

export interface ClientFlags {
  baseUrl?: string;
  apiKey?: string;
  namespace?: string;
}

export function clientFrom(flags: ClientFlags): Mixpeek {
  const apiKey = flags.apiKey ?? process.env.SCENECAP_API_KEY ?? process.env.MIXPEEK_API_KEY;
  if (!apiKey) throw new Error("no API key: pass --api-key or set SCENECAP_API_KEY (scenecap dev prints one)");
  return new Mixpeek({
    apiKey,
    baseUrl: flags.baseUrl ?? process.env.SCENECAP_BASE_URL ?? DEFAULT_DEV_URL,
    ...(flags.namespace ? { namespace: flags.namespace } : {}),
  });
}

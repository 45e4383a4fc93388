import { lookup as dnsLookup } from "node:dns/promises";
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

/** Thrown when a URL's host resolves to an address the worker must not reach. */
export class BlockedAddressError extends Error {
  override readonly name = "BlockedAddressError";
  constructor(readonly host: string, readonly address: string, readonly range: string) {
    super(`refusing to fetch from ${host}: it resolves to ${address} (${range} address); ` +
      `set ALLOW_PRIVATE_NETWORKS=true to allow private networks`);
  }
}

/**
 * The range of an address when the worker must refuse it, or null when it is a public unicast address.
 * Only `unicast` passes: loopback, private, link-local, unique-local, multicast, unspecified, carrier-grade
 * NAT, reserved, broadcast and the v6 transition ranges that embed a v4 address (6to4, NAT64, Teredo) are
 * refused. IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is judged by its IPv4 address.
 */
export function blockedRange(address: string): string | null {
  if (!ipaddr.isValid(address)) return "invalid";
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === "ipv6") {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) parsed = v6.toIPv4Address();
  }
  const range = parsed.range();
  return range === "unicast" ? null : range;
}

export interface ResolvedHost {
  address: string;
  family: 4 | 6;
}

export type LookupFn = (host: string) => Promise<ResolvedHost[]>;

const systemLookup: LookupFn = async (host) => {
  const all = await dnsLookup(host, { all: true, verbatim: true });
  return all.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/**
 * Resolves `host` and checks every address it resolves to (a host with one public and one private address
 * is refused). Returns the address to connect to, so the connection cannot be re-resolved to another one
 * (DNS rebinding).
 */
export async function resolveAllowedHost(
  host: string,
  opts: { allowPrivateNetworks: boolean; lookup?: LookupFn; allowedAddresses?: readonly string[] },
): Promise<ResolvedHost> {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  const literal = isIP(bare);
  const addresses: ResolvedHost[] = literal
    ? [{ address: bare, family: literal === 6 ? 6 : 4 }]
    : await (opts.lookup ?? systemLookup)(bare);
  if (addresses.length === 0) throw new Error(`cannot resolve host ${host}`);
  if (!opts.allowPrivateNetworks) {
    const allowed = new Set((opts.allowedAddresses ?? []).map(normalise));
    for (const a of addresses) {
      if (allowed.has(normalise(a.address))) continue;
      const range = blockedRange(a.address);
      if (range) throw new BlockedAddressError(host, a.address, range);
    }
  }
  return addresses[0]!;
}

function normalise(address: string): string {
  return ipaddr.isValid(address) ? ipaddr.process(address).toString() : address;
}

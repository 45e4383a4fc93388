import { describe, expect, it } from "vitest";
import { blockedRange, BlockedAddressError, resolveAllowedHost, type LookupFn } from "../src/fetch/ssrf.js";

describe("blockedRange", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "linkLocal"],
    ["224.0.0.1", "multicast"],
    ["0.0.0.0", "unspecified"],
    ["100.64.0.1", "carrierGradeNat"],
    ["255.255.255.255", "broadcast"],
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["fe80::1", "linkLocal"],
    ["fd12:3456::1", "uniqueLocal"],
    ["ff02::1", "multicast"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:a9fe:a9fe", "linkLocal"],
  ])("refuses %s (%s)", (address, range) => {
    expect(blockedRange(address)).toBe(range);
  });

  it.each(["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8"])("allows public %s", (address) => {
    expect(blockedRange(address)).toBeNull();
  });
});

describe("resolveAllowedHost", () => {
  const fakeDns = (map: Record<string, string[]>): LookupFn => async (host) =>
    (map[host] ?? []).map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));

  it("refuses a name when any of its addresses is private", async () => {
    const lookup = fakeDns({ "mixed.example": ["93.184.216.34", "10.0.0.5"] });
    await expect(resolveAllowedHost("mixed.example", { allowPrivateNetworks: false, lookup })).rejects.toBeInstanceOf(BlockedAddressError);
  });

  it("refuses literal IPv6 and IPv4-mapped hosts in brackets", async () => {
    await expect(resolveAllowedHost("[::1]", { allowPrivateNetworks: false })).rejects.toThrow(/loopback/);
    await expect(resolveAllowedHost("[::ffff:192.168.0.1]", { allowPrivateNetworks: false })).rejects.toThrow(/private/);
  });

  it("returns the checked address to pin the connection to", async () => {
    const lookup = fakeDns({ "cdn.example": ["2606:4700:4700::1111"] });
    await expect(resolveAllowedHost("cdn.example", { allowPrivateNetworks: false, lookup })).resolves.toEqual({ address: "2606:4700:4700::1111", family: 6 });
  });

  it("allows private addresses when configured", async () => {
    await expect(resolveAllowedHost("127.0.0.1", { allowPrivateNetworks: true })).resolves.toEqual({ address: "127.0.0.1", family: 4 });
  });

  it("resolves localhost through the system resolver and refuses it", async () => {
    await expect(resolveAllowedHost("localhost", { allowPrivateNetworks: false })).rejects.toThrow(/loopback/);
  });
});

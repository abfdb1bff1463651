import dns from 'node:dns';
import type { LookupAddress, LookupAllOptions, LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Which addresses the feed reader may connect to. An admin types a feed's URL, so without
 * this it could be pointed at the machine itself, the internal network or a cloud metadata
 * service (SSRF). Only public unicast addresses pass, unless FEED_ALLOW_PRIVATE says the
 * operator polls an internal feed on purpose. The check runs inside the socket's own DNS
 * lookup, so the address checked is the address connected to (no DNS rebinding).
 */

export type LookupFunction = (hostname: string, options: LookupAllOptions, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

export interface FeedAddressPolicy {
  allows(address: string): boolean;
  /** dns.lookup with `all: true`; replaceable so a test can play a rebinding DNS server. */
  lookup: LookupFunction;
}

/** A feed's host that the policy refuses, or that cannot be resolved. */
export class FeedAddressError extends Error {
  constructor(
    message: string,
    readonly unresolved = false,
  ) {
    super(message);
  }
}

/**
 * Public unicast only. IPv4-mapped IPv6 (`::ffff:127.0.0.1`) is judged as the IPv4 address it
 * carries; every other special range (loopback, private, link-local, unique-local, CGNAT,
 * multicast, broadcast, unspecified, reserved, 6to4, Teredo, NAT64…) is refused.
 */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(bare)) return false;
  return ipaddr.process(bare).range() === 'unicast';
}

const systemLookup: LookupFunction = (hostname, options, callback) => dns.lookup(hostname, options, callback);

export function feedAddressPolicy(options: { allowPrivate: boolean; lookup?: LookupFunction }): FeedAddressPolicy {
  return { allows: options.allowPrivate ? () => true : isPublicAddress, lookup: options.lookup ?? systemLookup };
}

/** A URL's hostname as an address when it is one: `[::1]` → `::1`. WHATWG URL has already turned `2130706433` and `127.1` into `127.0.0.1`. */
function literalAddress(hostname: string): string | null {
  const bare = hostname.replace(/^\[|\]$/g, '');
  return isIP(bare) ? bare : null;
}

/** Why these resolved addresses may not be used, or null when all of them may. */
function refusal(addresses: LookupAddress[], policy: FeedAddressPolicy): FeedAddressError | null {
  if (!addresses.length) return new FeedAddressError('the host has no address');
  const bad = addresses.find((a) => !policy.allows(a.address));
  return bad ? new FeedAddressError(`refused address ${bad.address}`) : null;
}

/** `localhost` and its subdomains are loopback by definition (RFC 6761), whatever the resolver says. */
const LOCALHOST = /(^|\.)localhost\.?$/i;
const LOOPBACK: LookupAddress[] = [
  { address: '127.0.0.1', family: 4 },
  { address: '::1', family: 6 },
];

/** The addresses a host stands for without asking DNS: an address literal, or loopback for localhost names. */
function knownAddresses(hostname: string): LookupAddress[] | null {
  const literal = literalAddress(hostname);
  if (literal) return [{ address: literal, family: isIP(literal) }];
  return LOCALHOST.test(hostname) ? LOOPBACK : null;
}

/**
 * Throws when the URL's host is an address literal (which Node never looks up) or a localhost
 * name that the policy refuses. Other names are judged when they are resolved.
 */
export function checkHostWithoutLookup(url: URL, policy: FeedAddressPolicy): void {
  const known = knownAddresses(url.hostname);
  const error = known ? refusal(known, policy) : null;
  if (error) throw error;
}

/** Every address the host resolves to must be allowed; for registration, before any connection. */
export async function checkFeedHost(url: URL, policy: FeedAddressPolicy): Promise<void> {
  if (knownAddresses(url.hostname)) return checkHostWithoutLookup(url, policy);
  const addresses = await new Promise<LookupAddress[]>((resolve, reject) =>
    policy.lookup(url.hostname, { all: true }, (err, found) => (err ? reject(new FeedAddressError(`could not resolve the host (${err.code ?? err.message})`, true)) : resolve(found))),
  );
  const error = refusal(addresses, policy);
  if (error) throw error;
}

/**
 * A `lookup` for http(s).request that resolves through the policy and hands the socket only
 * addresses it allows: the connection is pinned to what was checked. Node skips `lookup` for
 * an address literal, so callers check those with checkHostWithoutLookup first.
 */
export function pinnedLookup(policy: FeedAddressPolicy) {
  return (hostname: string, options: LookupOptions, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    policy.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const error = refusal(addresses, policy);
      if (error) return callback(error, '');
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** How a host name becomes addresses: `dns.promises.lookup(host, { all: true, verbatim: true })` by default; tests pass their own. */
export type LookupFunction = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

export interface WebhookUrlPolicy {
  /** WEBHOOK_ALLOWED_HOSTS: hosts that may use http and resolve to any address but a metadata one (development: "127.0.0.1,localhost"). */
  allowedHosts: string[];
  lookup?: LookupFunction;
}

export interface CheckedWebhookUrl {
  url: URL;
  /** The addresses the host resolved to, all checked: connect to one of these, never resolve again (DNS rebinding). */
  addresses: Array<{ address: string; family: number }>;
}

/**
 * A webhook URL the SSRF rules refuse (design "SSRF"). `rule` names the rule: `malformed`, `scheme`,
 * `userinfo`, `unresolvable`, `metadata`, or the ipaddr.js range of the refused address (`loopback`,
 * `private`, `linkLocal`, `uniqueLocal`, `carrierGradeNat`, `unspecified`, `multicast`, `reserved`, …).
 */
export class WebhookUrlRefused extends Error {
  readonly rule: string;
  constructor(rule: string, message: string) {
    super(message);
    this.name = 'WebhookUrlRefused';
    this.rule = rule;
  }
}

/** Cloud metadata services: refused even for an allow-listed host. */
const METADATA_ADDRESSES = ['169.254.169.254', 'fd00:ec2::254'].map((address) =>
  ipaddr.parse(address).toString(),
);

const defaultLookup: LookupFunction = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

/** A URL host without IPv6 brackets or a trailing dot, lower case. */
function bareHost(hostname: string): string {
  const unbracketed = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return unbracketed.replace(/\.$/, '').toLowerCase();
}

/** The same host for the allow-list: IP literals compare by value (`::1` = `0:0::1`). */
function canonicalHost(host: string): string {
  const bare = bareHost(host.trim());
  return isIP(bare) ? ipaddr.parse(bare).toString() : bare;
}

/** An IPv6 address holding an IPv4 one in its last 32 bits: `::ffff:0:0/96` or `::/96` (not `::` and `::1`). */
function isIPv4Embedded(address: ipaddr.IPv6): boolean {
  if (address.isIPv4MappedAddress()) return true;
  const parts = address.parts;
  return parts.slice(0, 6).every((part) => part === 0) && (parts[6] !== 0 || parts[7]! > 1);
}

/** Why `address` is refused, or undefined when it is a public unicast address. */
function refusedRule(address: string): string | undefined {
  if (!ipaddr.isValid(address) || isIP(address) === 0) return 'unparseable';
  let parsed = ipaddr.parse(address);
  if (METADATA_ADDRESSES.includes(parsed.toString())) return 'metadata';
  // ::ffff:a.b.c.d (IPv4-mapped) and ::a.b.c.d (IPv4-compatible, deprecated by RFC 4291
  // §2.5.5.1 but still translated by some stacks and NAT64 gateways) reach a.b.c.d: judge the
  // IPv4 address inside.
  if (parsed.kind() === 'ipv6' && isIPv4Embedded(parsed as ipaddr.IPv6)) {
    parsed = ipaddr.fromByteArray((parsed as ipaddr.IPv6).toByteArray().slice(12));
    if (METADATA_ADDRESSES.includes(parsed.toString())) return 'metadata';
  }
  const range = parsed.range();
  return range === 'unicast' ? undefined : range;
}

/**
 * The SSRF rules, at registration and before each delivery: https (http only for an allow-listed
 * host), no userinfo, any port; the host's addresses (an IP literal as is, a name resolved) must all
 * be public unicast and no metadata address, unless the host is allow-listed (then only metadata is refused).
 * Resolves with the URL and the checked addresses, rejects with WebhookUrlRefused.
 */
export async function checkWebhookUrl(url: string, policy: WebhookUrlPolicy): Promise<CheckedWebhookUrl> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new WebhookUrlRefused('malformed', 'The webhook URL is not an absolute URL.');
  }
  const host = bareHost(parsed.hostname);
  const allowed = host !== '' && policy.allowedHosts.map(canonicalHost).includes(canonicalHost(host));
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && allowed)) {
    throw new WebhookUrlRefused(
      'scheme',
      allowed
        ? 'The webhook URL must use https or http.'
        : 'The webhook URL must use https (http only for a host in WEBHOOK_ALLOWED_HOSTS).',
    );
  }
  if (host === '') throw new WebhookUrlRefused('malformed', 'The webhook URL has no host.');
  if (parsed.username !== '' || parsed.password !== '') {
    throw new WebhookUrlRefused('userinfo', 'The webhook URL must not contain a user name or password.');
  }

  let addresses: Array<{ address: string; family: number }>;
  const literal = isIP(host);
  if (literal !== 0) {
    addresses = [{ address: host, family: literal }];
  } else {
    try {
      addresses = await (policy.lookup ?? defaultLookup)(host);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw new WebhookUrlRefused(
        'unresolvable',
        `The webhook URL's host ${host} does not resolve${typeof code === 'string' ? ` (${code})` : ''}.`,
      );
    }
    if (addresses.length === 0) {
      throw new WebhookUrlRefused('unresolvable', `The webhook URL's host ${host} has no address.`);
    }
  }
  for (const { address } of addresses) {
    const rule = refusedRule(address);
    if (rule === undefined || (allowed && rule !== 'metadata')) continue;
    throw new WebhookUrlRefused(
      rule,
      `The webhook URL's host ${host} resolves to ${address}, a ${rule} address: only public addresses are allowed.`,
    );
  }
  return { url: parsed, addresses: addresses.map(({ address, family }) => ({ address, family })) };
}

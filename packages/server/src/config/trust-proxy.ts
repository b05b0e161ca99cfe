// Which reverse proxies Keyway believes about the client's address (X-Forwarded-For), for rate limits, sessions and
// audit records. Fastify takes the same forms (a hop count, or the proxies' addresses and ranges, via proxy-addr).
import { isIP } from 'node:net';

/** false: nobody; a number: that many proxy hops in front of Keyway; a list: the proxies' addresses or CIDR ranges. */
export type TrustProxy = false | number | string[];

/** An IPv4 or IPv6 address, optionally with a CIDR prefix length in range. */
export function isAddressOrRange(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

/**
 * The form Fastify takes. A hop count becomes a function of proxy-addr's hop index (0 is the socket's peer): Fastify
 * itself now refuses a bare number (it cannot tell the proxy from a client that connects directly), so the count is
 * for a Keyway that only its proxies can reach; a list of the proxies' addresses holds either way.
 */
export function fastifyTrustProxy(trust: TrustProxy): false | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return trust;
}

import ipaddr from 'ipaddr.js';

/**
 * The client a request's address stands for, as a rate-limit key: the IPv4 address, or the
 * /64 network of an IPv6 address (a subscriber is usually given a whole /64, so counting single
 * IPv6 addresses would let one client use 2^64 of them). IPv4-mapped IPv6 counts as IPv4.
 */
export function clientKeyOfAddress(address: string | undefined): string {
  if (!address || !ipaddr.isValid(address)) return 'ip:unknown';
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return `ip:${parsed.toString()}`;
  const network = ipaddr.IPv6.networkAddressFromCIDR(`${(parsed as ipaddr.IPv6).toNormalizedString()}/64`);
  return `ip:${network.toRFC5952String()}/64`;
}

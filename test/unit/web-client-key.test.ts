import { describe, expect, it } from 'vitest';
import { clientKeyOfAddress } from '../../adapters/web/web-client-key.js';

describe('the web chat client key', () => {
  it('is the IPv4 address, also when it arrives IPv4-mapped', () => {
    expect(clientKeyOfAddress('203.0.113.7')).toBe('ip:203.0.113.7');
    expect(clientKeyOfAddress('::ffff:203.0.113.7')).toBe('ip:203.0.113.7');
  });

  it('is the /64 network of an IPv6 address, so one subscriber\'s many addresses count as one client', () => {
    const key = clientKeyOfAddress('2001:db8:1:2:aaaa:bbbb:cccc:dddd');
    expect(key).toBe('ip:2001:db8:1:2::/64');
    expect(clientKeyOfAddress('2001:db8:1:2::1')).toBe(key);
    expect(clientKeyOfAddress('2001:db8:1:3::1')).not.toBe(key);
  });

  it('puts requests without a usable address together under one key', () => {
    expect(clientKeyOfAddress(undefined)).toBe('ip:unknown');
    expect(clientKeyOfAddress('not an address')).toBe('ip:unknown');
  });
});

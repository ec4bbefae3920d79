import { describe, expect, it } from 'vitest';
import { addressKeyOf } from '../src/auth/login-throttle';

describe('addressKeyOf: the address a log-in limit counts under', () => {
  it.each([
    ['an IPv4 address', '203.0.113.7', '203.0.113.7'],
    ['an IPv4-mapped IPv6 address', '::ffff:203.0.113.7', '203.0.113.7'],
    ['a full IPv6 address', '2001:0db8:0000:0042:0000:8a2e:0370:7334', '2001:db8:0:42::/64'],
    ['another address of the same /64', '2001:db8:0:42:ffff:ffff:ffff:1', '2001:db8:0:42::/64'],
    ['a compressed IPv6 address', '2001:db8::1', '2001:db8:0:0::/64'],
    ['an address with a zone', 'fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['the IPv6 loopback', '::1', '0:0:0:0::/64'],
  ])('when the client is %s (%s), then it counts as %s', (_, address, key) => {
    expect(addressKeyOf(address)).toBe(key);
  });

  it('when two IPv6 clients are in different /64s, then they count apart', () => {
    expect(addressKeyOf('2001:db8:0:42::1')).not.toBe(addressKeyOf('2001:db8:0:43::1'));
  });
});

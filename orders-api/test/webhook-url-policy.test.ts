import { describe, expect, it } from 'vitest';
import { checkWebhookUrl, WebhookUrlRefused, type LookupFunction } from '../src/webhooks/url-policy';

/** No real DNS: every name resolves as this table says, and the test records what was asked. */
function fakeLookup(table: Record<string, string[]>) {
  const asked: string[] = [];
  const lookup: LookupFunction = async (hostname) => {
    asked.push(hostname);
    const addresses = table[hostname];
    if (addresses === undefined)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { lookup, asked };
}

async function refusal(url: string, allowedHosts: string[] = [], table: Record<string, string[]> = {}) {
  const { lookup } = fakeLookup(table);
  try {
    await checkWebhookUrl(url, { allowedHosts, lookup });
  } catch (error) {
    if (error instanceof WebhookUrlRefused) return error.rule;
    throw error;
  }
  return undefined;
}

describe('checkWebhookUrl', () => {
  it('when an https URL names a host with public addresses only, then it passes with those addresses', async () => {
    const { lookup, asked } = fakeLookup({
      'hooks.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
    });

    const checked = await checkWebhookUrl('https://hooks.example.com:8443/in?x=1', {
      allowedHosts: [],
      lookup,
    });

    expect(checked.url.href).toBe('https://hooks.example.com:8443/in?x=1');
    expect(checked.addresses).toEqual([
      { address: '93.184.215.14', family: 4 },
      { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 },
    ]);
    expect(asked).toEqual(['hooks.example.com']);
  });

  it('when the URL is not absolute, then it is refused as malformed', async () => {
    expect(await refusal('not a url')).toBe('malformed');
    expect(await refusal('/relative/path')).toBe('malformed');
  });

  it('when the scheme is not https, then it is refused unless http to an allow-listed host', async () => {
    expect(await refusal('http://hooks.example.com/', [], { 'hooks.example.com': ['93.184.215.14'] })).toBe(
      'scheme',
    );
    expect(await refusal('ftp://hooks.example.com/', ['hooks.example.com'])).toBe('scheme');
    expect(await refusal('file:///etc/passwd')).toBe('scheme');
    expect(await refusal('http://127.0.0.1:9/hook', ['127.0.0.1'])).toBeUndefined();
    expect(
      await refusal('http://localhost:9/hook', ['localhost'], { localhost: ['127.0.0.1', '::1'] }),
    ).toBeUndefined();
  });

  it('when the URL carries a user name or password, then it is refused', async () => {
    const table = { 'hooks.example.com': ['93.184.215.14'] };
    expect(await refusal('https://user:secret@hooks.example.com/', [], table)).toBe('userinfo');
    expect(await refusal('https://user@hooks.example.com/', [], table)).toBe('userinfo');
  });

  it('when an IP literal is given, then it is judged without any lookup', async () => {
    const { lookup, asked } = fakeLookup({});

    await expect(checkWebhookUrl('https://10.1.2.3/', { allowedHosts: [], lookup })).rejects.toMatchObject({
      rule: 'private',
    });
    const checked = await checkWebhookUrl('https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:443/', {
      allowedHosts: [],
      lookup,
    });

    expect(checked.addresses).toEqual([{ address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 }]);
    expect(asked).toEqual([]);
  });

  it.each([
    ['https://127.0.0.1/', 'loopback'],
    ['https://2130706433/', 'loopback'],
    ['https://0x7f.1/', 'loopback'],
    ['https://[::1]/', 'loopback'],
    ['https://10.0.0.1/', 'private'],
    ['https://172.16.5.4/', 'private'],
    ['https://192.168.1.1/', 'private'],
    ['https://169.254.10.10/', 'linkLocal'],
    ['https://[fe80::1]/', 'linkLocal'],
    ['https://[fc00::1]/', 'uniqueLocal'],
    ['https://[fd12:3456::1]/', 'uniqueLocal'],
    ['https://100.64.0.1/', 'carrierGradeNat'],
    ['https://0.0.0.0/', 'unspecified'],
    ['https://[::]/', 'unspecified'],
    ['https://224.0.0.1/', 'multicast'],
    ['https://[ff02::1]/', 'multicast'],
    ['https://240.0.0.1/', 'reserved'],
    ['https://255.255.255.255/', 'broadcast'],
    ['https://169.254.169.254/latest/meta-data/', 'metadata'],
    ['https://[fd00:ec2::254]/', 'metadata'],
    ['https://[::ffff:10.0.0.1]/', 'private'],
    ['https://[::ffff:127.0.0.1]/', 'loopback'],
    ['https://[::ffff:169.254.169.254]/', 'metadata'],
    // IPv4-compatible (::a.b.c.d), which ipaddr.js calls unicast: judged by the IPv4 inside.
    ['https://[::a9fe:a9fe]/', 'metadata'],
    ['https://[::a00:1]/', 'private'],
    ['https://[::7f00:1]/', 'loopback'],
    ['https://[2002:a00:1::]/', '6to4'],
    ['https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', 'teredo'],
    ['https://[64:ff9b::a00:1]/', 'rfc6052'],
  ])('when the host is %s, then it is refused as %s', async (url, rule) => {
    expect(await refusal(url)).toBe(rule);
  });

  it('when the IPv4 address inside an IPv4-mapped IPv6 literal is public, then it passes', async () => {
    expect(await refusal('https://[::ffff:93.184.215.14]/')).toBeUndefined();
  });

  it('when a name resolves to any refused address among public ones, then it is refused', async () => {
    const table = {
      'rebind.example.com': ['93.184.215.14', '10.0.0.1'],
      'meta.example.com': ['169.254.169.254'],
    };

    expect(await refusal('https://rebind.example.com/', [], table)).toBe('private');
    expect(await refusal('https://meta.example.com/', [], table)).toBe('metadata');
  });

  it('when the name does not resolve or resolves to nothing, then it is refused as unresolvable', async () => {
    expect(await refusal('https://nowhere.example.com/')).toBe('unresolvable');
    expect(await refusal('https://empty.example.com/', [], { 'empty.example.com': [] })).toBe('unresolvable');
  });

  it('when the host is allow-listed, then private addresses pass but a metadata address is still refused', async () => {
    const table = { 'dev.internal': ['10.0.0.7'], 'meta.internal': ['169.254.169.254'] };

    expect(await refusal('http://dev.internal:8080/', ['dev.internal'], table)).toBeUndefined();
    expect(await refusal('https://DEV.internal./', [' dev.internal '], table)).toBeUndefined();
    expect(await refusal('http://[::1]:9/', ['::1'])).toBeUndefined();
    expect(await refusal('http://169.254.169.254/', ['169.254.169.254'])).toBe('metadata');
    expect(await refusal('http://meta.internal/', ['meta.internal'], table)).toBe('metadata');
    expect(await refusal('http://10.0.0.7/', ['dev.internal'], table)).toBe('scheme');
  });

  it('when a refusal is thrown, then it is a WebhookUrlRefused whose message names the address', async () => {
    const { lookup } = fakeLookup({ 'intranet.example.com': ['192.168.0.10'] });

    const error = await checkWebhookUrl('https://intranet.example.com/', { allowedHosts: [], lookup }).catch(
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(WebhookUrlRefused);
    expect(error).toBeInstanceOf(Error);
    expect((error as WebhookUrlRefused).rule).toBe('private');
    expect((error as WebhookUrlRefused).message).toContain('192.168.0.10');
  });
});

import { decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from '@b2b/service-kit';
import { isPasswordCorrect } from '../src/auth/passwords';
import { useCustomersApi } from './helpers';
import { createOperator, logIn } from './log-in';

const PASSWORD = 'operator-s3cret-password';
const TOKEN_TTL_SECONDS = 900;

const api = useCustomersApi({ tokenTtlSeconds: TOKEN_TTL_SECONDS });

beforeAll(async () => {
  await createOperator(api, 'operator', PASSWORD);
});

describe('POST /auth/token: usernames are compared exactly', () => {
  it('when the username is exactly right, then 200 with a token for that operator living exactly the TTL', async () => {
    const response = await logIn(api.baseUrl, { username: 'operator', password: PASSWORD });

    expect(response.status).toBe(200);
    const claims = decodeJwt(response.body.access_token);
    expect(claims.sub).toBe('operator');
    expect(claims.exp! - claims.iat!).toBe(TOKEN_TTL_SECONDS);
    expect(response.body.expires_in).toBe(TOKEN_TTL_SECONDS);
  });

  // Each of these found `operator` while the column was utf8mb4_unicode_ci.
  it.each([
    ['another case', 'Operator'],
    ['upper case', 'OPERATOR'],
    ['an accent', 'öperator'],
    ['another accent', 'opérator'],
    ['a trailing space', 'operator '],
    ['a trailing tab', 'operator\t'],
    ['a decomposed accent (NFD)', 'o\u0308perator'],
    ['a full-width letter', 'ｏperator'],
  ])('when the username differs by %s (%j), then 401 INVALID_CREDENTIALS', async (_, username) => {
    const response = await logIn(api.baseUrl, { username, password: PASSWORD });

    expect(response.status).toBe(401);
    expect(response.body.code).toBe('INVALID_CREDENTIALS');
  });

  it('when two operators differ only in case, then they are two operators, each with its own password', async () => {
    await createOperator(api, 'Ana', 'upper-case-ana-password');
    await createOperator(api, 'ana', 'lower-case-ana-password');

    const upper = await logIn(api.baseUrl, { username: 'Ana', password: 'upper-case-ana-password' });
    const lower = await logIn(api.baseUrl, { username: 'ana', password: 'lower-case-ana-password' });
    const crossed = await logIn(api.baseUrl, { username: 'ana', password: 'upper-case-ana-password' });

    expect(decodeJwt(upper.body.access_token).sub).toBe('Ana');
    expect(decodeJwt(lower.body.access_token).sub).toBe('ana');
    expect(crossed.status).toBe(401);
  });
});

describe('POST /auth/token: password hashes', () => {
  it('when an operator logs in whose hash has a lower cost than the current one, then it is rehashed with the current cost', async () => {
    // The app under test hashes with N = 1024 (CHEAP_SCRYPT_COST); this hash is older and cheaper.
    await createOperator(api, 'veteran', 'veteran-password', { N: 256, r: 8, p: 1 });

    const response = await logIn(api.baseUrl, { username: 'veteran', password: 'veteran-password' });

    expect(response.status).toBe(200);
    const [row] = await api.db.query(sql`SELECT password_hash FROM operators WHERE username = 'veteran'`);
    expect(row.password_hash).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(await isPasswordCorrect('veteran-password', row.password_hash)).toBe(true);
    expect((await logIn(api.baseUrl, { username: 'veteran', password: 'veteran-password' })).status).toBe(
      200,
    );
  });

  it('when the password is wrong, then a hash of a lower cost is left as it is', async () => {
    await createOperator(api, 'sleeper', 'sleeper-password', { N: 256, r: 8, p: 1 });

    expect((await logIn(api.baseUrl, { username: 'sleeper', password: 'wrong' })).status).toBe(401);

    const [row] = await api.db.query(sql`SELECT password_hash FROM operators WHERE username = 'sleeper'`);
    expect(row.password_hash).toMatch(/^scrypt\$256\$8\$1\$/);
  });
});

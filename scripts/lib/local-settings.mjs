// The settings of the whole local system, for `npm start` / `npm run dev` (which start the
// parts and wire them together) and `npm run smoke` (which talks to them). Each comes from the
// environment, else from the `.env` of the part it belongs to (the file that part reads
// itself), else the part's default; a variable set in the environment wins even when empty
// (empty means the default), as in the parts. The root .env is Docker Compose's, not read here.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Returns `{ settings, problems }`; `root` is the checkout whose part folders hold the files. */
export function resolveLocalSettings({ env = process.env, root = repositoryRoot } = {}) {
  const readPartEnvFile = (folder) => {
    const file = path.join(root, folder, '.env');
    return existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {};
  };
  const files = {
    'customers-api': readPartEnvFile('customers-api'),
    'orders-api': readPartEnvFile('orders-api'),
    'lambda-orchestrator': readPartEnvFile('lambda-orchestrator'),
  };
  const problems = [];

  /**
   * `name` from the environment, else `fileName` from the first of `folders` whose .env sets
   * it, else `fallback`. Files that set it must agree: npm start passes the value to every
   * part, so one of them would silently lose its own.
   */
  const setting = (name, { folders, fileName = name, fallback }) => {
    if (env[name] !== undefined) return env[name].trim() || fallback;
    const set = folders.filter((folder) => files[folder][fileName] !== undefined);
    const values = new Set(set.map((folder) => files[folder][fileName].trim() || fallback));
    if (values.size > 1) {
      problems.push(
        `${set.map((folder) => `${folder}/.env`).join(' and ')} set different ${fileName}; ` +
          `make them agree, or set ${name} in the environment`,
      );
    }
    return set.length > 0 ? files[set[0]][fileName].trim() || fallback : fallback;
  };
  const port = (name, options) => {
    const value = setting(name, options);
    const number = Number(value);
    if (!/^\d+$/.test(value) || number < 1 || number > 65535) {
      problems.push(`${name} must be a port number from 1 to 65535 (got "${value}")`);
    }
    return number;
  };

  const apis = ['customers-api', 'orders-api'];
  const settings = {
    nodeEnv: setting('NODE_ENV', { folders: [...apis, 'lambda-orchestrator'], fallback: 'development' }),
    databaseUrl: setting('DATABASE_URL', {
      folders: apis,
      fallback: 'mysql://root@127.0.0.1:3306/b2b_orders',
    }),
    natsUrl: setting('NATS_URL', { folders: apis, fallback: 'nats://127.0.0.1:4222' }),
    // The token the Customers API accepts (smoke calls its internal lookup); undefined: its default.
    serviceToken: setting('SERVICE_TOKEN', { folders: ['customers-api'], fallback: undefined }),
    orchestratorInProcess: setting('ORCHESTRATOR_IN_PROCESS', {
      folders: ['lambda-orchestrator'],
      fallback: 'true',
    }),
    ports: {
      customers: port('CUSTOMERS_PORT', { folders: ['customers-api'], fileName: 'PORT', fallback: '3001' }),
      orders: port('ORDERS_PORT', { folders: ['orders-api'], fileName: 'PORT', fallback: '3002' }),
      orchestrator: port('ORCHESTRATOR_PORT', { folders: ['lambda-orchestrator'], fallback: '3000' }),
      orchestratorLambda: port('ORCHESTRATOR_LAMBDA_PORT', {
        folders: ['lambda-orchestrator'],
        fallback: '3003',
      }),
    },
  };
  return { settings, problems };
}

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * No Docker engine runs on our machines, so the Compose file and the Dockerfiles are
 * checked statically: they parse, they are wired with health checks, every variable a
 * service needs at start-up is provided, ports agree, and every COPY source exists.
 */
const ROOT = path.resolve(import.meta.dirname, '..');

// Plain JavaScript, as npm start runs it: imported by URL, typed here.
const { API_NODE_FLAGS } = (await import(
  pathToFileURL(path.join(ROOT, 'scripts/lib/api-process.mjs')).href
)) as { API_NODE_FLAGS: string[] };

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
  profiles?: string[];
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string; required?: boolean }>;
  healthcheck?: { test: unknown };
  volumes?: string[];
}

// merge: the cluster profile's services share settings through YAML merge keys (`<<:`), as
// Compose reads them.
const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};

/** What plain `docker compose up` starts: the services without a profile. */
const defaultServices = Object.fromEntries(
  Object.entries(compose.services).filter(([, service]) => !service.profiles?.length),
);

const composeText = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');

/** Variables .env.example documents (`NAME=value`, or `# NAME=value` for optional ones). */
const documented = new Set(
  readFileSync(path.join(ROOT, '.env.example'), 'utf8')
    .split('\n')
    .map((line) => /^(?:#\s*)?([A-Z][A-Z0-9_]*)=/.exec(line.trim())?.[1])
    .filter((name): name is string => name !== undefined),
);

/** `${NAME:-default}` → its default, as Compose resolves it when NAME is unset. */
const withDefaults = (value: string) => value.replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1');

/**
 * What each part refuses to start without when NODE_ENV=production, its port, and the
 * variable that publishes it on the host (the name `npm start` uses for the same port).
 */
const PARTS: Record<string, { port: number; hostPortVariable: string; required: string[] }> = {
  'customers-api': {
    port: 3001,
    hostPortVariable: 'CUSTOMERS_PORT',
    required: ['DATABASE_URL', 'JWT_SECRET', 'SERVICE_TOKEN', 'CURSOR_SECRET', 'PORT'],
  },
  'orders-api': {
    port: 3002,
    hostPortVariable: 'ORDERS_PORT',
    required: ['DATABASE_URL', 'JWT_SECRET', 'SERVICE_TOKEN', 'CURSOR_SECRET', 'PORT', 'CUSTOMERS_API_BASE'],
  },
  'lambda-orchestrator': {
    port: 3000,
    hostPortVariable: 'ORCHESTRATOR_PORT',
    required: ['JWT_SECRET', 'SERVICE_TOKEN', 'ORDERS_API_BASE'],
  },
};

/** `NAME=value` and `# NAME=value` lines of a part's .env.example: every variable it may read. */
function partExample(part: string): Map<string, string> {
  return new Map(
    readFileSync(path.join(ROOT, part, '.env.example'), 'utf8')
      .split('\n')
      .map((line) => /^(?:#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim()))
      .filter((match) => match !== null)
      .map((match) => [match[1]!, match[2]!]),
  );
}

interface Instruction {
  keyword: string;
  args: string;
}

function dockerfileInstructions(file: string): Instruction[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8').replace(/\\\n/g, ' ');
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

describe('docker-compose.yml', () => {
  it('when started without a profile, then it has MySQL 8.0, NATS with JetStream and the three parts, no Galera', () => {
    expect(Object.keys(defaultServices).sort()).toEqual([
      'customers-api',
      'lambda-orchestrator',
      'mysql',
      'nats',
      'orders-api',
    ]);
    expect(compose.services.mysql!.image).toBe('mysql:8.0');
    expect(compose.services.mysql!.healthcheck?.test).toBeDefined();
    for (const service of Object.values(defaultServices)) expect(service.image ?? '').not.toMatch(/mariadb/);
  });

  it('when started without a profile, then nothing it starts needs a service of another profile', () => {
    for (const [name, service] of Object.entries(defaultServices)) {
      for (const [dependency, condition] of Object.entries(service.depends_on ?? {})) {
        if (!(dependency in defaultServices))
          expect(condition.required, `${name} → ${dependency}`).toBe(false);
      }
    }
  });

  it('when a service mounts a file of the repository, then the file exists', () => {
    const mounts = Object.values(compose.services)
      .flatMap((service) => service.volumes ?? [])
      .filter((volume) => volume.startsWith('./'));
    expect(mounts.length).toBeGreaterThan(0);
    for (const mount of mounts) expect(existsSync(path.join(ROOT, mount.split(':')[0]!)), mount).toBe(true);
  });

  it('when MySQL initialises a new volume, then it loads the schema only, from a file that exists', () => {
    const mounts = (compose.services.mysql!.volumes ?? []).filter((volume) => volume.startsWith('./'));
    expect(mounts.map((mount) => mount.split(':')[1])).toEqual(['/docker-entrypoint-initdb.d/01-schema.sql']);
    for (const mount of mounts) expect(existsSync(path.join(ROOT, mount.split(':')[0]!))).toBe(true);
  });

  it('when production starts, then it has no operator and no published credential', () => {
    // Everything the MySQL entrypoint runs on a new volume, whatever the mount.
    const initFiles = Object.values(compose.services)
      .flatMap((service) => service.volumes ?? [])
      .filter((volume) => volume.split(':')[1]?.startsWith('/docker-entrypoint-initdb.d'))
      .map((volume) => readFileSync(path.join(ROOT, volume.split(':')[0]!), 'utf8'));
    expect(initFiles.length).toBeGreaterThan(0);
    for (const sqlText of initFiles) {
      expect(sqlText).not.toMatch(/INSERT\s+INTO\s+`?operators\b/i);
      expect(sqlText).not.toContain('scrypt$');
    }
    expect(composeText).not.toContain('seed.sql');
    // db/seed.sql's development operator, documented in README and printed by `npm start`.
    expect(composeText).not.toContain('operator-dev-password');
  });

  it.each(Object.entries(PARTS))('when %s starts, then it waits for healthy dependencies', (name) => {
    const dependencies = Object.values(compose.services[name]!.depends_on ?? {});
    expect(dependencies.length).toBeGreaterThan(0);
    for (const dependency of dependencies) expect(dependency.condition).toBe('service_healthy');
  });

  it.each(Object.entries(PARTS))(
    'when %s starts in production, then every required variable is provided',
    (name, part) => {
      const environment = compose.services[name]!.environment ?? {};
      expect(withDefaults(environment.NODE_ENV ?? '')).toBe('production');
      for (const variable of part.required) {
        expect(environment[variable], `${name} needs ${variable}`).toBeDefined();
      }
    },
  );

  it.each(Object.entries(PARTS))(
    'when %s is published, then it listens on its own port, published on the npm start name for it',
    (name, part) => {
      const service = compose.services[name]!;
      expect(service.ports).toEqual([`\${${part.hostPortVariable}:-${part.port}}:${part.port}`]);
      if (service.environment?.PORT) expect(Number(service.environment.PORT)).toBe(part.port);
    },
  );

  it.each(Object.keys(PARTS))(
    'when %s/.env.example names a variable, then Compose passes it, with the same default',
    (name) => {
      const environment = compose.services[name]!.environment ?? {};
      for (const [variable, exampleValue] of partExample(name)) {
        expect(environment[variable], `${name} is not given ${variable}`).toBeDefined();
        const interpolated = /^\$\{([A-Z0-9_]+):-(.+)\}$/.exec(environment[variable]!);
        // Secrets have no default here, and Compose is production where the example is not.
        if (interpolated?.[1] === variable && variable !== 'NODE_ENV') {
          expect(interpolated[2], `${name}: default of ${variable}`).toBe(exampleValue);
        }
      }
    },
  );

  it('when Compose interpolates a variable, then .env.example documents it', () => {
    const interpolated = [...composeText.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((match) => match[1]!);
    expect(interpolated.length).toBeGreaterThan(0);
    for (const variable of interpolated)
      expect(documented, `${variable} is undocumented`).toContain(variable);
  });

  it('when a service reaches another, then it uses that service name and port', () => {
    const urls = Object.values(compose.services).flatMap((service) =>
      Object.values(service.environment ?? {}).filter((value) => value.startsWith('http://')),
    );
    for (const url of urls) {
      const { hostname, port } = new URL(url);
      expect(PARTS[hostname]?.port, url).toBe(Number(port));
    }
  });
});

/** `key = value` options of a MariaDB option file, keys with `_` for `-`, in every group. */
function mariadbOptions(file: string): Map<string, string> {
  return new Map(
    readFileSync(path.join(ROOT, file), 'utf8')
      .split('\n')
      .map((line) => line.replace(/#.*$/, '').trim())
      .filter((line) => line && !line.startsWith('['))
      .map((line) => {
        const [key = '', ...rest] = line.split('=');
        const value = rest.join('=').trim();
        return [key.trim().replaceAll('-', '_'), value.replace(/^"(.*)"$/, '$1')];
      }),
  );
}

interface HaproxyServer {
  name: string;
  host: string;
  port: number;
  params: string[];
}

interface HaproxySection {
  keyword: string;
  name: string;
  lines: string[][];
  servers: HaproxyServer[];
}

/** An HAProxy configuration's sections (a line at the first column opens one), comments dropped. */
function haproxySections(file: string): HaproxySection[] {
  const sections: HaproxySection[] = [];
  for (const raw of readFileSync(path.join(ROOT, file), 'utf8').split('\n')) {
    const words = raw.replace(/#.*$/, '').trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) continue;
    if (!/^\s/.test(raw)) {
      sections.push({ keyword: words[0]!, name: words[1] ?? '', lines: [], servers: [] });
      continue;
    }
    const section = sections.at(-1)!;
    section.lines.push(words);
    if (words[0] === 'server') {
      const [host = '', port = ''] = words[2]!.split(':');
      section.servers.push({ name: words[1]!, host, port: Number(port), params: words.slice(3) });
    }
  }
  return sections;
}

const param = (server: HaproxyServer, name: string) => {
  const at = server.params.indexOf(name);
  return at === -1 ? undefined : server.params[at + 1];
};

const CLUSTER_NODES = ['galera-1', 'galera-2', 'galera-3'];

describe('the cluster profile of docker-compose.yml', () => {
  const services = compose.services;
  const clusterServices = Object.entries(services).filter(([, service]) => service.profiles?.length);
  const nodes = Object.entries(services).filter(([, service]) => /^mariadb:/.test(service.image ?? ''));
  const command = (name: string) => services[name]!.command ?? [];
  const option = (name: string, flag: string) =>
    command(name)
      .find((argument) => argument.replaceAll('_', '-').startsWith(`${flag}=`))
      ?.split('=')[1];
  const mountedAt = (name: string, target: string) =>
    (services[name]!.volumes ?? []).find((volume) => volume.split(':')[1] === target)?.split(':')[0];

  it('when listed, then every service of a profile belongs to `cluster` alone', () => {
    expect(clusterServices.length).toBeGreaterThan(0);
    for (const [name, service] of clusterServices) expect(service.profiles, name).toEqual(['cluster']);
  });

  it('when the cluster starts, then it has exactly three Galera nodes of the official MariaDB image', () => {
    expect(nodes.map(([name]) => name).sort()).toEqual(CLUSTER_NODES);
    for (const [, node] of nodes) {
      expect(node.image).toMatch(/^mariadb:(10\.(6|11)|11\.\d+)/);
      expect(node.profiles).toEqual(['cluster']);
    }
  });

  it.each(CLUSTER_NODES)(
    'when %s reports healthy, then it is Synced by its own account, not merely listening',
    (name) => {
      const test = services[name]!.healthcheck?.test as string[];
      expect(test[0]).toBe('CMD');
      expect(test).toContain('healthcheck.sh');
      expect(test).toContain('--galera_online');
      expect(test.join(' ')).not.toMatch(/mysqladmin ping|\bnc\b|\/dev\/tcp/);
      // --su-mysql logs in as mysql@localhost, which the image creates only when asked to.
      if (test.includes('--su-mysql')) {
        expect(services[name]!.environment?.MARIADB_MYSQL_LOCALHOST_USER).toBeTruthy();
      }
    },
  );

  it.each(CLUSTER_NODES)('when %s starts, then it runs Galera with the settings Galera needs', (name) => {
    const config = mountedAt(name, '/etc/mysql/conf.d/galera.cnf');
    expect(config, `${name} mounts its Galera configuration`).toBeDefined();
    const options = mariadbOptions(config!);
    expect(options.get('wsrep_on')).toMatch(/^(ON|1)$/i);
    expect(options.get('wsrep_provider')).toBe('/usr/lib/galera/libgalera_smm.so');
    expect(options.get('binlog_format')).toBe('ROW');
    expect(options.get('innodb_autoinc_lock_mode')).toBe('2');
    // The image ships mariadb-backup and socat, not rsync.
    expect(options.get('wsrep_sst_method')).toBe('mariabackup');
    expect(options.get('wsrep_cluster_address')).toBe(`gcomm://${CLUSTER_NODES.join(',')}`);
    expect(option(name, '--wsrep-node-address')).toBe(name);
  });

  it('when the cluster starts, then galera-1 alone bootstraps it and loads the schema, once', () => {
    for (const name of CLUSTER_NODES) {
      expect(command(name).includes('--wsrep-new-cluster'), name).toBe(name === 'galera-1');
      const initFiles = (services[name]!.volumes ?? []).filter((volume) =>
        volume.split(':')[1]?.startsWith('/docker-entrypoint-initdb.d/'),
      );
      expect(initFiles, name).toEqual(
        name === 'galera-1' ? ['./db/schema.sql:/docker-entrypoint-initdb.d/01-schema.sql:ro'] : [],
      );
    }
  });

  it.each(CLUSTER_NODES)(
    "when %s's entrypoint is replaced, then it hands over to the image's, which initialises the volume",
    (name) => {
      const entrypoint = services[name]!.entrypoint;
      if (!entrypoint) return;
      const script = mountedAt(name, entrypoint.at(-1)!);
      expect(script, `${entrypoint.join(' ')} is a file of the repository`).toBeDefined();
      expect(readFileSync(path.join(ROOT, script!), 'utf8')).toMatch(
        /exec docker-entrypoint\.sh mariadbd "\$\{?\w+\[@\]\}?"/,
      );
    },
  );

  describe('HAProxy', () => {
    const haproxy = services.haproxy!;
    const configFile = mountedAt('haproxy', '/usr/local/etc/haproxy/haproxy.cfg')!;
    const sections = haproxySections(configFile);
    const section = (keyword: string, name: string) =>
      sections.find((candidate) => candidate.keyword === keyword && candidate.name === name);
    const frontend = sections.find(
      (candidate) =>
        candidate.keyword === 'frontend' &&
        candidate.lines.some((line) => line[0] === 'bind' && line[1]!.endsWith(':3306')),
    );
    const writerBackend = section(
      'backend',
      frontend?.lines.find((line) => line[0] === 'default_backend')?.[1] ?? '',
    );

    it('when it starts, then it loads a configuration of the repository, published on CLUSTER_PORT', () => {
      expect(haproxy.image).toMatch(/^haproxy:2\.\d+/);
      expect(haproxy.profiles).toEqual(['cluster']);
      expect(configFile).toBeDefined();
      expect(existsSync(path.join(ROOT, configFile))).toBe(true);
      expect(haproxy.ports).toEqual(['${CLUSTER_PORT:-3307}:3306']);
      expect(frontend, 'a frontend bound to :3306').toBeDefined();
      expect(haproxy.healthcheck?.test).toBeDefined();
    });

    it('when it routes, then galera-1 is the one writer and galera-2, galera-3 its backups', () => {
      const servers = writerBackend!.servers;
      expect(servers.map((server) => `${server.host}:${server.port}`)).toEqual(
        CLUSTER_NODES.map((node) => `${node}:3306`),
      );
      expect(
        servers.filter((server) => !server.params.includes('backup')).map((server) => server.host),
      ).toEqual(['galera-1']);
      expect(
        servers.filter((server) => server.params.includes('backup')).map((server) => server.host),
      ).toEqual(['galera-2', 'galera-3']);
      expect(writerBackend!.lines.some((line) => line.join(' ') === 'option allbackups')).toBe(false);
    });

    it.each(CLUSTER_NODES)(
      "when it checks %s, then it asks that node's galera-health agent over HTTP (option httpchk)",
      (node) => {
        const server = writerBackend!.servers.find((candidate) => candidate.host === node)!;
        // Checked directly (`check`), or by tracking a server that is (`track backend/server`).
        const tracked = param(server, 'track');
        const [checkedIn, checked] = tracked
          ? [
              section('backend', tracked.includes('/') ? tracked.split('/')[0]! : writerBackend!.name)!,
              tracked.split('/').at(-1)!,
            ]
          : [writerBackend!, server.name];
        const checkedServer = checkedIn.servers.find((candidate) => candidate.name === checked)!;
        expect(checkedServer.params).toContain('check');
        expect(checkedIn.lines.some((line) => line[0] === 'option' && line[1] === 'httpchk')).toBe(true);
        expect(checkedIn.lines.some((line) => line.join(' ') === 'http-check expect status 200')).toBe(true);

        // Where the check goes: the checked server's address, or `addr` / `port` overriding it.
        const agentHost = param(checkedServer, 'addr') ?? checkedServer.host;
        const agentPort = Number(param(checkedServer, 'port') ?? checkedServer.port);
        const agent = services[agentHost];
        expect(agent, `${agentHost}: a service of the cluster profile`).toBeDefined();
        expect(agent!.profiles).toEqual(['cluster']);
        expect(agent!.command?.join(' ')).toContain('scripts/galera-health.mjs');
        expect(mountedAt(agentHost, '/app/scripts/galera-health.mjs')).toBe('./scripts/galera-health.mjs');
        const databaseUrl = new URL(withDefaults(agent!.environment?.GALERA_HEALTH_DATABASE_URL ?? ''));
        expect(databaseUrl.hostname, `${agentHost} checks ${node}`).toBe(node);
        expect(Number(agent!.environment?.GALERA_HEALTH_PORT ?? 9200)).toBe(agentPort);
      },
    );

    it('when an agent runs, then its image has the WORKDIR it is mounted in and mysql2, a production dependency', () => {
      const agents = Object.values(services).filter((service) =>
        service.command?.join(' ').includes('scripts/galera-health.mjs'),
      );
      expect(agents.length).toBe(CLUSTER_NODES.length);
      const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, { dev?: boolean }>;
      };
      expect(lock.packages['node_modules/mysql2']).toBeDefined();
      expect(lock.packages['node_modules/mysql2']!.dev).not.toBe(true);
      for (const agent of agents) {
        expect(agent.build?.dockerfile).toBe('Dockerfile.api');
        const instructions = dockerfileInstructions(path.join(agent.build!.context, agent.build!.dockerfile));
        const runtime = instructions.slice(
          instructions.map((instruction) => instruction.keyword).lastIndexOf('FROM'),
        );
        expect(runtime.findLast((instruction) => instruction.keyword === 'WORKDIR')?.args).toBe('/app');
      }
    });
  });

  it.each(['customers-api', 'orders-api'])(
    'when %s runs with the cluster, then DATABASE_HOST=haproxy points it there, and the default stays mysql',
    (name) => {
      const service = services[name]!;
      expect(service.environment?.DATABASE_URL).toContain('@${DATABASE_HOST:-mysql}:3306/');
      expect(new URL(withDefaults(service.environment!.DATABASE_URL!)).hostname).toBe('mysql');
      expect(service.depends_on?.haproxy).toEqual({ condition: 'service_healthy', required: false });
      expect(service.depends_on?.mysql?.required).not.toBe(false);
    },
  );
});

describe.each(Object.keys(PARTS))('the Dockerfile of %s', (name) => {
  const build = compose.services[name]!.build!;
  const instructions = dockerfileInstructions(path.join(build.context, build.dockerfile));
  const lastStage = instructions.slice(
    instructions.map((instruction) => instruction.keyword).lastIndexOf('FROM'),
  );
  const substitute = (value: string) =>
    value.replace(
      /\$\{?([A-Z_]+)\}?/g,
      (_match, variable: string) => build.args?.[variable] ?? `$${variable}`,
    );

  it('when built, then it has a build stage and a runtime stage', () => {
    expect(
      instructions.filter((instruction) => instruction.keyword === 'FROM').length,
    ).toBeGreaterThanOrEqual(2);
  });

  it('when it runs, then it runs as a non-root user with a health check', () => {
    const user = lastStage.find((instruction) => instruction.keyword === 'USER');
    expect(user?.args).toBeDefined();
    expect(user!.args).not.toMatch(/^(root|0)$/);
    expect(lastStage.some((instruction) => instruction.keyword === 'HEALTHCHECK')).toBe(true);
  });

  it('when an API starts, then it runs with the V8 flags npm start gives it', () => {
    const command = instructions.findLast((instruction) => instruction.keyword === 'CMD')?.args ?? '';
    if (!command.includes('/dist/server.js')) return; // the orchestrator: serverless-offline
    // Before the script: after it, node would hand them to the script as its arguments.
    for (const flag of API_NODE_FLAGS) expect(command.split('/dist/server.js')[0]).toContain(` ${flag} `);
  });

  it('when the runtime stage installs, then it installs production dependencies only', () => {
    const installs = lastStage.filter(
      (instruction) => instruction.keyword === 'RUN' && /npm (ci|install)/.test(instruction.args),
    );
    expect(installs.length).toBeGreaterThan(0);
    for (const install of installs) expect(install.args).toContain('--omit=dev');
  });

  it('when copying from the build context, then every source exists', () => {
    const copies = instructions.filter(
      (instruction) => instruction.keyword === 'COPY' && !instruction.args.includes('--from'),
    );
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      const parts = copy.args.split(/\s+/).filter((part) => !part.startsWith('--'));
      for (const source of parts.slice(0, -1)) {
        expect(existsSync(path.join(ROOT, build.context, substitute(source))), `COPY ${source}`).toBe(true);
      }
    }
  });

  it('when the image loads a package patches/ changes at run time, then it is copied patched from the build stage', () => {
    // The runtime stage installs packages without scripts, so unpatched. The APIs' bundles
    // leave npm packages external (scripts/build-service.mjs): they load their own and their
    // workspaces' dependencies from node_modules. The Lambda's bundle carries the packages it
    // uses, patched when it was built; its image runs serverless(-offline) from node_modules.
    const loadsPackagesAtRunTime = instructions.some(
      (instruction) =>
        instruction.keyword === 'COPY' && instruction.args.includes('scripts/build-service.mjs'),
    );
    const dependencies = (folder: string) =>
      Object.keys(
        (
          JSON.parse(readFileSync(path.join(ROOT, folder, 'package.json'), 'utf8')) as {
            dependencies?: Record<string, string>;
          }
        ).dependencies ?? {},
      );
    const workspace = (name: string) => name.startsWith('@b2b/');
    const own = dependencies(name);
    const loaded = [
      ...own.filter((dependency) => !workspace(dependency)),
      ...(loadsPackagesAtRunTime
        ? own.filter(workspace).flatMap((dependency) => dependencies(dependency.slice('@b2b/'.length)))
        : []),
    ];
    // patch-package names a patch <package, "/" as "+">+<version>.patch.
    const patched = readdirSync(path.join(ROOT, 'patches')).map((file) =>
      file.replace(/\+[^+]+\.patch$/, '').replaceAll('+', '/'),
    );
    const copiedFromBuild = lastStage
      .filter((instruction) => instruction.keyword === 'COPY' && instruction.args.includes('--from=build'))
      .map((instruction) => instruction.args.split(/\s+/).at(-1));
    for (const patchedName of patched.filter((patchedName) => loaded.includes(patchedName))) {
      expect(copiedFromBuild, patchedName).toContain(`node_modules/${patchedName}`);
    }
  });

  it('when .dockerignore applies, then node_modules, dist and local .env files never enter the context', () => {
    const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n');
    expect(ignored).toContain('**/node_modules');
    expect(ignored).toContain('**/dist');
    // The parts' .env files hold a developer's settings and secrets, not the image's.
    expect(ignored).toContain('**/.env');
  });
});

describe.each(['customers-api', 'orders-api'])('npm start -w %s', (workspace) => {
  it('when the API starts on its own, then it runs with the V8 flags npm start gives it', () => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, workspace, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    for (const flag of API_NODE_FLAGS)
      expect((manifest.scripts.start ?? '').split('dist/server.js')[0]).toContain(` ${flag} `);
  });
});

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
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: unknown };
  volumes?: string[];
}

const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, ComposeService>;
};

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
  it('when parsed, then it has MySQL 8.0 and the three parts', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'customers-api',
      'lambda-orchestrator',
      'mysql',
      'orders-api',
    ]);
    expect(compose.services.mysql!.image).toBe('mysql:8.0');
    expect(compose.services.mysql!.healthcheck?.test).toBeDefined();
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

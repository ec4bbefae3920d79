import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Router } from 'express';
import { stringify } from 'yaml';
import { document as customersDocument } from '@b2b/contracts/customers';
import type { OpenApiDocument } from '@b2b/contracts/document';
import { document as eventsDocument, type AsyncApiDocument } from '@b2b/contracts/events';
import { document as orchestratorDocument } from '@b2b/contracts/orchestrator';
import { document as ordersDocument } from '@b2b/contracts/orders';
import { checkDatabaseHealth, type Database } from '../database';
import type { EventRelay } from '../event-relay';
import { NotFound } from '../errors';
import { isShuttingDown } from './server';

const DOCS_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css',
  'swagger-ui-bundle.js': 'application/javascript',
  'swagger-ui-standalone-preset.js': 'application/javascript',
};

/** Every contract of the system, by the name its read-only copy is served under (`/docs/<name>.yaml`). */
const CONTRACTS: Record<string, OpenApiDocument> = {
  customers: customersDocument,
  orders: ordersDocument,
  orchestrator: orchestratorDocument,
};

interface ServedContract {
  /** The name in the docs page's selector, e.g. "Orders API". */
  name: string;
  /** The path it is served at, relative to the API's root (so it also works behind a path prefix). */
  url: string;
  yaml: string;
}

type WithServers = OpenApiDocument & { servers?: unknown; info: { description?: string } };

function swaggerUiDirectory(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('swagger-ui-dist/package.json'));
}

/** "B2B Orders Backoffice — Orders API" → "Orders API". */
const shortTitle = (contract: OpenApiDocument) => contract.info.title.split(' — ').at(-1)!;

const toYaml = (contract: object) => stringify(contract, { aliasDuplicateObjects: false });

/**
 * The API's own contract as served: its one server is relative, `.` (RFC 3986: the
 * directory of the document's URL), so "Try it out" calls the server the document was
 * fetched from, whatever its host, port or path prefix behind a proxy. The contract file
 * names the local development URL, which is right only there.
 */
function ownContract(contract: OpenApiDocument): ServedContract {
  const served: WithServers = {
    ...contract,
    servers: [{ url: '.', description: 'This server: the one this document was fetched from.' }],
  };
  return { name: `${shortTitle(contract)} (this server)`, url: 'openapi.yaml', yaml: toYaml(served) };
}

/**
 * Another part's contract, for reading: its servers stay those of its contract file (where
 * that part runs locally; they say what to use elsewhere), and the docs page offers no
 * "Try it out" for it, since this API cannot know where that part is reachable from the
 * reader's browser.
 */
function otherContract(name: string, contract: OpenApiDocument, servedBy: OpenApiDocument): ServedContract {
  const served = contract as WithServers;
  const note =
    `*A read-only copy for reference, served by the ${shortTitle(servedBy)}: send requests ` +
    `to the ${shortTitle(contract)} itself (see its servers).*\n\n`;
  return {
    name: `${shortTitle(contract)} (read-only)`,
    url: `docs/${name}.yaml`,
    yaml: toYaml({
      ...served,
      info: { ...served.info, description: note + (served.info.description ?? '') },
    }),
  };
}

/**
 * The events contract (AsyncAPI 3.0), for reading at `/docs/events.yaml`. Not in the docs
 * page's selector: Swagger UI renders OpenAPI only (the API's contract points to it instead).
 */
function eventsContract(document: AsyncApiDocument, servedBy: OpenApiDocument): string {
  const note =
    `*A read-only copy for reference, served by the ${shortTitle(servedBy)}: open it in an ` +
    `AsyncAPI viewer. Each API also serves its own events at \`GET /events\`.*\n\n`;
  return toYaml({
    ...document,
    info: { ...document.info, description: note + (document.info.description ?? '') },
  });
}

/**
 * Its URLs are relative (no leading slash), so the page also works behind a proxy that adds
 * a path prefix; `root` leads from the page's URL to the API's root (`../` for `/docs/`).
 */
function docsPage(title: string, root: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${title} — API docs</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="${root}docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${root}docs/assets/swagger-ui-bundle.js"></script>
  <script src="${root}docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="${root}docs/assets/docs-init.js"></script>
</body>
</html>
`;
}

/**
 * A file rather than an inline script, so the docs page works under a Content-Security-Policy
 * that allows scripts from this origin only. The top bar selects one of the served contracts;
 * "Try it out" is offered for this API's own only (the `allowTryItOutFor` selector is Swagger
 * UI's hook for exactly that). No validator badge: it would load an image from swagger.io.
 */
function docsInitScript(contracts: ServedContract[]): string {
  const urls = contracts.map(({ name, url }) => ({ name, url }));
  // Resolved against this script's own URL (<root>/docs/assets/docs-init.js), which is right
  // whether the page was opened as /docs or /docs/.
  return `const apiRoot = new URL('../../', document.currentScript.src);
const urls = ${JSON.stringify(urls)}.map(({ name, url }) => ({ name, url: new URL(url, apiRoot).href }));
const tryItOutOnOwnContractOnly = () => ({
  statePlugins: {
    spec: {
      wrapSelectors: {
        allowTryItOutFor: (original, system) => (_state, ...args) =>
          system.specSelectors.url() === urls[0].url && original(...args),
      },
    },
  },
});
window.ui = SwaggerUIBundle({
  urls,
  'urls.primaryName': urls[0].name,
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  plugins: [SwaggerUIBundle.plugins.DownloadUrl, tryItOutOnOwnContractOnly],
  layout: 'StandaloneLayout',
});
`;
}

/**
 * GET /health, /openapi.yaml, /docs and its assets, and `/docs/<name>.yaml` for each other
 * contract the API's own contract lists there (`/docs/events.yaml`: the events contract,
 * AsyncAPI, not in the docs page's selector): the same for every API.
 */
export function opsRoutes(options: {
  contract: OpenApiDocument;
  db: Database;
  /** The API's event relay, for /health; none (a test app without one) reads as publishing off. */
  eventRelay?: Pick<EventRelay, 'state'>;
}): Router {
  const router = Router();
  const own = ownContract(options.contract);
  const others = Object.entries(CONTRACTS)
    .filter(([name]) => `/docs/${name}.yaml` in options.contract.paths)
    .map(([name, contract]) => otherContract(name, contract, options.contract));
  const initScript = docsInitScript([own, ...others]);
  const events =
    '/docs/events.yaml' in options.contract.paths ? eventsContract(eventsDocument, options.contract) : null;
  const assetsDirectory = swaggerUiDirectory();

  // Answers within HEALTH_CHECK_TIMEOUT_MS (~1 s) whatever the database does. While the
  // process drains after SIGTERM it is 503 whatever the database says, so a load balancer
  // stops sending requests to it.
  router.get('/health', async (request, response) => {
    const database = await checkDatabaseHealth(options.db);
    const isHealthy = database === 'up' && !isShuttingDown(request.app);
    // Events never decide the status: unpublished ones wait in the outbox.
    const events = options.eventRelay?.state() ?? {
      status: 'off',
      broker: 'off',
      oldestUnpublishedSeconds: null,
    };
    response.status(isHealthy ? 200 : 503).json({
      status: isHealthy ? 'ok' : 'unavailable',
      checks: { database, events: events.status },
      events: { broker: events.broker, oldest_unpublished_seconds: events.oldestUnpublishedSeconds },
    });
  });

  router.get('/openapi.yaml', (_request, response) => {
    response.type('application/yaml').send(own.yaml);
  });

  for (const other of others) {
    router.get(`/${other.url}`, (_request, response) => {
      response.type('application/yaml').send(other.yaml);
    });
  }

  if (events !== null) {
    router.get('/docs/events.yaml', (_request, response) => {
      response.type('application/yaml').send(events);
    });
  }

  router.get('/docs', (request, response) => {
    const root = request.path.endsWith('/') ? '../' : '';
    response.type('text/html').send(docsPage(options.contract.info.title, root));
  });

  router.get('/docs/assets/:file', async (request, response) => {
    const file = String(request.params.file);
    const contentType = DOCS_ASSETS[file];
    if (file === 'docs-init.js') {
      response.type('application/javascript').send(initScript);
      return;
    }
    if (!contentType) throw new NotFound('NOT_FOUND', `No documentation asset named ${file}.`);
    response.type(contentType).send(await readFile(path.join(assetsDirectory, file)));
  });

  return router;
}

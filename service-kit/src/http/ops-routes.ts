import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Router } from 'express';
import { stringify } from 'yaml';
import { pingDatabase, type Database } from '../database';
import { NotFound } from '../errors';
import { isShuttingDown } from './server';

const DOCS_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css',
  'swagger-ui-bundle.js': 'application/javascript',
  'swagger-ui-standalone-preset.js': 'application/javascript',
};

function swaggerUiDirectory(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('swagger-ui-dist/package.json'));
}

function docsPage(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${title} — API docs</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/assets/docs-init.js"></script>
</body>
</html>
`;
}

// A file rather than an inline script, so the docs page works under a Content-Security-Policy
// that allows scripts from this origin only.
const DOCS_INIT_SCRIPT =
  "window.ui = SwaggerUIBundle({ url: '/openapi.yaml', dom_id: '#swagger-ui', deepLinking: true });\n";

/** GET /health, /openapi.yaml, /docs and its assets: the same for every API. */
export function opsRoutes(options: { contract: { info: { title: string } }; db: Database }): Router {
  const router = Router();
  const contractYaml = stringify(options.contract, { aliasDuplicateObjects: false });
  const assetsDirectory = swaggerUiDirectory();

  // Answers within HEALTH_CHECK_TIMEOUT_MS (~1 s) whatever the database does. While the
  // process drains after SIGTERM it is 503 whatever the database says, so a load balancer
  // stops sending requests to it.
  router.get('/health', async (request, response) => {
    const isDatabaseUp = await pingDatabase(options.db);
    const isHealthy = isDatabaseUp && !isShuttingDown(request.app);
    response.status(isHealthy ? 200 : 503).json({
      status: isHealthy ? 'ok' : 'unavailable',
      checks: { database: isDatabaseUp ? 'up' : 'down' },
    });
  });

  router.get('/openapi.yaml', (_request, response) => {
    response.type('application/yaml').send(contractYaml);
  });

  router.get('/docs', (_request, response) => {
    response.type('text/html').send(docsPage(options.contract.info.title));
  });

  router.get('/docs/assets/:file', async (request, response) => {
    const file = String(request.params.file);
    const contentType = DOCS_ASSETS[file];
    if (file === 'docs-init.js') {
      response.type('application/javascript').send(DOCS_INIT_SCRIPT);
      return;
    }
    if (!contentType) throw new NotFound('NOT_FOUND', `No documentation asset named ${file}.`);
    response.type(contentType).send(await readFile(path.join(assetsDirectory, file)));
  });

  return router;
}

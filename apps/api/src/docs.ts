import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Elysia } from 'elysia';

// Swagger UI from the installed swagger-ui-dist package: the docs page works offline and loads
// nothing from a CDN.
const assetsDir = dirname(fileURLToPath(import.meta.resolve('swagger-ui-dist/package.json')));
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>Lathe API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css" />
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });</script>
</body>
</html>`;

/** `/docs`: an interactive page for the OpenAPI document at /openapi.json. */
export function docsRoutes() {
  return new Elysia()
    .get('/docs', () => new Response(PAGE, { headers: { 'content-type': 'text/html; charset=utf-8' } }), { detail: { hide: true } })
    .get(
      '/docs/assets/:name',
      ({ params }) => {
        const type = ASSETS[params.name];
        if (!type) return new Response(JSON.stringify({ error: { code: 'not_found', message: 'no such file' } }), { status: 404 });
        return new Response(Bun.file(join(assetsDir, params.name)), {
          headers: { 'content-type': type, 'cache-control': 'public, max-age=86400' },
        });
      },
      { detail: { hide: true } },
    );
}

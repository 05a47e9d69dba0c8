import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiProcess, client, ROOT, signUp } from './helpers';

describe('OpenAPI document and typed client', () => {
  let api: ApiProcess;
  let doc: Record<string, unknown>;

  beforeAll(async () => {
    api = await ApiProcess.start();
    doc = (await (await fetch(`${api.url}/openapi.json`)).json()) as Record<string, unknown>;
  });

  afterAll(async () => {
    await api?.dispose();
  });

  it('passes a standard validator', async () => {
    const validated = await SwaggerParser.validate(structuredClone(doc) as never);
    expect(validated.info.title).toBe('Lathe API');
  });

  it('matches the committed apps/api/openapi.json (regenerate with: npm run openapi -w @lathe/api)', async () => {
    const committed = JSON.parse(await readFile(join(ROOT, 'apps/api/openapi.json'), 'utf8')) as unknown;
    expect(doc).toEqual(committed);
  });

  it('serves a docs page that loads nothing from other origins', async () => {
    const res = await fetch(`${api.url}/docs`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('/openapi.json');
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(sources.length).toBeGreaterThan(0);
    for (const src of sources) {
      expect(src.startsWith('/docs/assets/'), src).toBe(true);
      const asset = await fetch(`${api.url}${src}`);
      expect(asset.status, src).toBe(200);
      expect((await asset.text()).length, src).toBeGreaterThan(1000);
    }
    expect((await fetch(`${api.url}/docs/assets/package.json`)).status).toBe(404);
  });

  it('the generated typed client talks to the server', async () => {
    const user = await signUp(api, 'typed');
    const http = client(api, user.cookie);
    const created = await http.POST('/api/projects', { body: { name: 'Typed', prompt: 'A typed app', start: false } });
    expect(created.response.status).toBe(201);
    expect(created.data?.name).toBe('Typed');
    const listed = await http.GET('/api/projects');
    expect(listed.data?.map((p) => p.id)).toEqual([created.data?.id]);
    const models = await http.GET('/api/models');
    expect(models.data?.offline).toBe(true);
    const health = await http.GET('/health');
    expect(health.data).toMatchObject({ status: 'ok', database: { kind: 'postgres', ok: true } });
  });
});

/**
 * Finding tables through an Iceberg REST catalog: a minimal HTTP server on 127.0.0.1 answers the
 * two endpoints lake calls (GET /v1/config, GET /v1/{prefix}/namespaces/{ns}/tables/{table}) the
 * way the REST spec describes them; lake follows its metadata-location, sends the bearer token,
 * encodes multi-level namespaces with 0x1F, and turns 404 and 401 into one-line errors.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTableFromCatalog } from '../../src/iceberg/rest-catalog.js';
import { findConformanceDir } from '../conformance/delta-cases.js';
import { runLake } from '../support/cli.js';

const found = await findConformanceDir();
if (!found.found && process.env.CI === 'true') throw new Error(`conformance data not found (looked in ${found.looked.join(', ')})`);
const lineitem = found.found ? join(found.dir, 'iceberg', 'cases', 'lineitem_v2_time_travel', 'table') : '';

let server: Server;
let uri = '';
const seen: { url: string; authorization: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
    const reply = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization === 'Bearer wrong') return reply(401, { error: { message: 'bad token', type: 'NotAuthorizedException', code: 401 } });
    if (req.url?.startsWith('/v1/config')) return reply(200, { defaults: {}, overrides: { prefix: 'wh' } });
    if (req.url === '/v1/wh/namespaces/sales%1Feu/tables/lineitem') return reply(200, { 'metadata-location': join(lineitem, 'metadata', 'v2.metadata.json'), metadata: {} });
    return reply(404, { error: { message: 'Table does not exist', type: 'NoSuchTableException', code: 404 } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const lake = (env: Record<string, string>, ...argv: string[]) => runLake(argv, { env, cwd: process.cwd() });

describe('REST catalog', () => {
  it('loads the metadata location, with the prefix from /v1/config and the token', async () => {
    const loaded = await loadTableFromCatalog({ uri, token: 't0ken', warehouse: 's3://wh' }, ['sales', 'eu'], 'lineitem');
    expect(loaded.metadataLocation).toBe(join(lineitem, 'metadata', 'v2.metadata.json'));
    expect(seen.at(-2)).toEqual({ url: '/v1/config?warehouse=s3%3A%2F%2Fwh', authorization: 'Bearer t0ken' });
    expect(seen.at(-1)!.url).toBe('/v1/wh/namespaces/sales%1Feu/tables/lineitem');
  });

  (found.found ? it : it.skip)('lake scan --catalog reads the table it names', async () => {
    const { code, stdout, stderr } = await lake({ LAKE_CATALOG_TOKEN: 'x' }, 'info', 'sales.eu.lineitem', '--catalog', uri, '--remap', `lineitem_iceberg=${lineitem}`, '--json');
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ format: 'iceberg', numRecords: 51793 });
  });

  it('says in one line when the table is missing or the token refused', async () => {
    const missing = await lake({}, 'scan', 'sales.nope', '--catalog', uri);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^lake: the Iceberg catalog at http:\/\/127.0.0.1:\d+ has no table sales.nope: check the namespace and name\n$/);
    const refused = await lake({ LAKE_CATALOG_TOKEN: 'wrong' }, 'scan', 'sales.eu.lineitem', '--catalog', uri);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refused the request \(HTTP 401\): set LAKE_CATALOG_TOKEN/);
    expect(refused.stderr).not.toContain('wrong');
    const bad = await lake({}, 'scan', 'lineitem', '--catalog', uri);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/name the table as namespace.table/);
  });
});

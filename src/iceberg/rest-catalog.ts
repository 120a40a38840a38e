/**
 * Finding a table's current metadata file through an Iceberg REST catalog (the REST catalog
 * OpenAPI spec, "loadTable"): `GET {uri}/v1/config` for the catalog's path prefix, then
 * `GET {uri}/v1/{prefix}/namespaces/{namespace}/tables/{table}`, whose answer names the
 * `metadata-location`. Multi-level namespaces are joined with the unit separator (0x1F), as the
 * spec says. A bearer token, when given, goes in the Authorization header; it never appears in
 * errors.
 */
import { LakeError } from '../errors.js';

export interface RestCatalogOptions {
  /** The catalog's base URI, e.g. http://localhost:8181 (without /v1). */
  readonly uri: string;
  /** Sent as the `warehouse` query parameter of /v1/config. */
  readonly warehouse?: string;
  readonly token?: string;
}

export interface LoadedTable {
  readonly metadataLocation: string;
}

export async function loadTableFromCatalog(options: RestCatalogOptions, namespace: readonly string[], table: string): Promise<LoadedTable> {
  const base = options.uri.replace(/\/+$/, '');
  const headers: Record<string, string> = { accept: 'application/json', ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }) };
  const config = (await getJson(`${base}/v1/config${options.warehouse === undefined ? '' : `?warehouse=${encodeURIComponent(options.warehouse)}`}`, headers, base)) as {
    overrides?: Record<string, string>;
    defaults?: Record<string, string>;
  };
  const prefix = config.overrides?.prefix ?? config.defaults?.prefix;
  const path = `${prefix === undefined ? '' : `/${encodeURIComponent(prefix)}`}/namespaces/${encodeURIComponent(namespace.join('\u001f'))}/tables/${encodeURIComponent(table)}`;
  const loaded = (await getJson(`${base}/v1${path}`, headers, base, `${namespace.join('.')}.${table}`)) as { 'metadata-location'?: unknown };
  const location = loaded['metadata-location'];
  if (typeof location !== 'string' || location === '') {
    throw new LakeError('CATALOG', `the catalog at ${base} answered for ${namespace.join('.')}.${table} without a metadata-location (a table staged but never committed?)`);
  }
  return { metadataLocation: location };
}

async function getJson(url: string, headers: Record<string, string>, base: string, table?: string): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { headers });
  } catch (error) {
    throw new LakeError('NETWORK', `cannot reach the Iceberg catalog at ${base}: ${(error as Error).message}; check the catalog URI and that it is up`, { cause: error });
  }
  if (response.status === 404 && table !== undefined) {
    throw new LakeError('TABLE_NOT_FOUND', `the Iceberg catalog at ${base} has no table ${table}: check the namespace and name`);
  }
  if (response.status === 401 || response.status === 403) {
    throw new LakeError('ACCESS_DENIED', `the Iceberg catalog at ${base} refused the request (HTTP ${response.status}): set LAKE_CATALOG_TOKEN to a token it accepts`);
  }
  if (!response.ok) {
    const body = await response.text().catch(() => '');
    const message = /"message"\s*:\s*"([^"]*)"/.exec(body)?.[1];
    throw new LakeError('CATALOG', `the Iceberg catalog at ${base} answered HTTP ${response.status}${message === undefined ? '' : `: ${message}`}`);
  }
  try {
    return await response.json();
  } catch (error) {
    throw new LakeError('CATALOG', `the Iceberg catalog at ${base} answered with something that is not JSON`, { cause: error });
  }
}

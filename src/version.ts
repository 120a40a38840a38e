/** lake's version, from package.json (src/ and dist/ are both one level below it). */
import { readFileSync } from 'node:fs';

let cachedVersion: string | undefined;

export function packageVersion(): string {
  if (cachedVersion === undefined) {
    const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
    const version = (JSON.parse(text) as { version?: unknown }).version;
    cachedVersion = typeof version === 'string' ? version : '0.0.0';
  }
  return cachedVersion;
}

/** What lake writes as `engineInfo` in Delta commits (and as the writer in Iceberg summaries). */
export function engineInfo(): string {
  return `lake/${packageVersion()}`;
}

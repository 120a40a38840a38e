/**
 * A writer process for the concurrency and crash tests:
 * `node --import tsx test/support/append-worker.ts <table location> <writer> <appends> [<rows per append>]`
 * appends `appends` times `rows` rows with ids `writer * 1e6 + append * rows + i`, each append its
 * own commit, and prints `committed <version>` after each. S3 settings come from LAKE_TEST_S3_*.
 */
import { tableFromArrays } from 'apache-arrow';
import { DeltaTable } from '../../src/delta/table.js';
import { parseLocation } from '../../src/storage/location.js';

const [location, writerText, appendsText, rowsText] = process.argv.slice(2) as [string, string, string, string?];
const writer = Number(writerText);
const appends = Number(appendsText);
const rows = Number(rowsText ?? 10);
const env = process.env;
const s3 =
  env.LAKE_TEST_S3_ENDPOINT === undefined
    ? undefined
    : {
        endpoint: env.LAKE_TEST_S3_ENDPOINT,
        region: env.LAKE_TEST_S3_REGION ?? 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: env.LAKE_TEST_S3_ACCESS_KEY_ID!, secretAccessKey: env.LAKE_TEST_S3_SECRET_ACCESS_KEY! },
      };
const table = await DeltaTable.open(parseLocation(location), s3 === undefined ? {} : { s3 });
for (let append = 0; append < appends; append++) {
  const ids = BigInt64Array.from({ length: rows }, (_, i) => BigInt(writer * 1_000_000 + append * rows + i));
  const { version } = await table.write(tableFromArrays({ id: ids, writer: Int32Array.from({ length: rows }, () => writer) }), {
    maxAttempts: 1000,
  });
  process.stdout.write(`committed ${version}\n`);
}

/**
 * The Puffin reader against the Java-generated fixtures of the conformance corpus
 * (components/puffin_reader): footers, blob metadata and payloads, uncompressed and zstd.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LakeError } from '../../src/errors.js';
import { puffinBlobPayload, readPuffinFooter } from '../../src/iceberg/puffin.js';
import { findConformanceDir } from '../conformance/delta-cases.js';

const found = await findConformanceDir();
if (!found.found && process.env.CI === 'true') throw new Error(`conformance data not found (looked in ${found.looked.join(', ')})`);

interface ExpectedBlob {
  type: string;
  fields: number[];
  snapshot_id?: number;
  sequence_number?: number;
  compression_codec: string | null;
  payload_hex: string;
}

if (found.found) {
  const root = join(found.dir, 'iceberg', 'components', 'puffin_reader');
  const expected = JSON.parse(await readFile(join(root, 'expected.json'), 'utf8')) as { checks: { file: string; expected: { blobs: ExpectedBlob[]; properties: Record<string, string> } }[] };
  describe('Puffin files (iceberg-python fixtures)', () => {
    for (const check of expected.checks) {
      it(check.file, async () => {
        const bytes = new Uint8Array(await readFile(join(root, check.file)));
        const footer = readPuffinFooter(bytes, check.file);
        expect(footer.properties).toEqual(check.expected.properties);
        expect(footer.blobs.map((b) => ({ type: b.type, fields: b.fields, codec: b.compressionCodec ?? null, payload: Buffer.from(puffinBlobPayload(bytes, b, check.file)).toString('hex') }))).toEqual(
          check.expected.blobs.map((b) => ({ type: b.type, fields: b.fields, codec: b.compression_codec, payload: b.payload_hex })),
        );
        for (const [i, blob] of check.expected.blobs.entries()) {
          if (blob.snapshot_id !== undefined) expect(footer.blobs[i]!.snapshotId).toBe(BigInt(blob.snapshot_id));
          if (blob.sequence_number !== undefined) expect(footer.blobs[i]!.sequenceNumber).toBe(BigInt(blob.sequence_number));
        }
      });
    }
  });
}

describe('Puffin errors', () => {
  it('names the file when the magic or footer is wrong', () => {
    expect(() => readPuffinFooter(new TextEncoder().encode('not a puffin file at all'), 'x.puffin')).toThrow(LakeError);
    expect(() => readPuffinFooter(new TextEncoder().encode('not a puffin file at all'), 'x.puffin')).toThrow(/x.puffin is not a valid Puffin file/);
  });
});

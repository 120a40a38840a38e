import { describe, expect, it } from 'vitest';
import type { Metadata } from '../../src/delta/actions.js';
import { checkReadSupport } from '../../src/delta/protocol-support.js';

const metadata = (fields: object[]): Metadata => ({
  id: 'x',
  format: { provider: 'parquet', options: {} },
  schemaString: JSON.stringify({ type: 'struct', fields }),
  partitionColumns: [],
  configuration: {},
});

describe('checkReadSupport', () => {
  it('reads reader versions 1 to 3 with the features lake implements', () => {
    expect(() => checkReadSupport({ minReaderVersion: 1, minWriterVersion: 2 }, undefined, 't')).not.toThrow();
    const features = ['columnMapping', 'deletionVectors', 'timestampNtz', 'v2Checkpoint', 'vacuumProtocolCheck', 'typeWidening'];
    expect(() => checkReadSupport({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: features, writerFeatures: features }, undefined, 't')).not.toThrow();
  });

  it('refuses newer reader versions and unknown features by name', () => {
    expect(() => checkReadSupport({ minReaderVersion: 4, minWriterVersion: 7 }, undefined, 't')).toThrow(/needs Delta reader version 4/);
    expect(() => checkReadSupport({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['catalogManaged', 'deletionVectors'] }, undefined, 't')).toThrow(
      /reader feature catalogManaged, which lake cannot read yet/,
    );
  });

  it('names the variant columns when it refuses the variant feature', () => {
    const m = metadata([
      { name: 'id', type: 'long', nullable: true, metadata: {} },
      { name: 'payload', type: 'variant', nullable: true, metadata: {} },
      { name: 's', type: { type: 'struct', fields: [{ name: 'v', type: 'variant', nullable: true, metadata: {} }] }, nullable: true, metadata: {} },
    ]);
    expect(() => checkReadSupport({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['variantType'] }, m, 't')).toThrow(
      /variantType, which lake cannot read yet \(variant columns payload, s\.v\)/,
    );
  });
});

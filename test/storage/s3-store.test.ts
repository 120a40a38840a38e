import { afterAll, describe, expect, it } from 'vitest';
import { AccessDeniedError, UnexpectedStorageError } from '../../src/errors.js';
import { S3Store } from '../../src/storage/s3-store.js';
import { describeWithS3, freshS3Store } from '../support/s3.js';
import { describeStoreContract } from './store-contract.js';

describeWithS3('S3 store against a real server', (server) => {
  const stores: S3Store[] = [];
  afterAll(() => stores.forEach((store) => store.destroy()));
  const fresh = async () => {
    const store = freshS3Store(server);
    stores.push(store);
    return store;
  };

  describeStoreContract(`S3 (${server.endpoint})`, { fresh });

  describe('S3 specifics', () => {
    it('lists, gets and deletes only below its own prefix', async () => {
      const a = await fresh();
      const b = new S3Store({ ...optionsOf(server), prefix: a.url.slice(`s3://${server.bucket}/`.length) + '/inner' });
      stores.push(b);
      await a.put('outer.txt', new Uint8Array([1]));
      await b.put('x.txt', new Uint8Array([2]));
      const keysOfA: string[] = [];
      for await (const meta of a.list('')) keysOfA.push(meta.key);
      expect(keysOfA).toEqual(['inner/x.txt', 'outer.txt']);
      const keysOfB: string[] = [];
      for await (const meta of b.list('')) keysOfB.push(meta.key);
      expect(keysOfB).toEqual(['x.txt']);
    });

    it('says access is denied, without retrying, when the secret is wrong', async () => {
      const store = new S3Store({ ...optionsOf(server), credentials: { accessKeyId: server.accessKeyId, secretAccessKey: 'wrong-secret' } });
      stores.push(store);
      const failure = store.put('x', new Uint8Array([1]));
      await expect(failure).rejects.toThrow(AccessDeniedError);
      await expect(failure).rejects.not.toThrow(/wrong-secret/);
    });

    it('names a missing bucket', async () => {
      const store = new S3Store({ ...optionsOf(server), bucket: 'no-such-bucket-lake' });
      stores.push(store);
      await expect(store.get('x')).rejects.toThrow(UnexpectedStorageError);
      await expect(store.put('x', new Uint8Array([1]))).rejects.toThrow(/bucket does not exist/);
    });
  });
});

function optionsOf(server: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string; bucket: string }) {
  return {
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    bucket: server.bucket,
    prefix: 'unused',
    retry: { baseDelayMs: 5, maxDelayMs: 100 },
  };
}

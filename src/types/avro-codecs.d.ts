// Minimal declarations for the untyped packages the Iceberg reader uses.
declare module 'snappyjs' {
  export function uncompress(input: Uint8Array): Uint8Array;
  export function compress(input: Uint8Array): Uint8Array;
}

declare module 'avsc' {
  import type { Duplex } from 'node:stream';
  export interface Type {
    readonly typeName: string;
  }
  export const Type: {
    forSchema(schema: unknown, options?: { registry?: Record<string, unknown>; wrapUnions?: boolean | 'auto' | 'always' | 'never' }): Type;
  };
  export const types: {
    LongType: {
      __with(methods: {
        fromBuffer(buf: Buffer): unknown;
        toBuffer(value: unknown): Buffer;
        fromJSON(value: unknown): unknown;
        toJSON(value: unknown): unknown;
        isValid(value: unknown): boolean;
        compare(a: unknown, b: unknown): number;
      }): unknown;
    };
  };
  export const streams: {
    BlockDecoder: new (options?: {
      codecs?: Record<string, (buf: Buffer, cb: (error: Error | null, out?: Buffer) => void) => void>;
      parseHook?: (schema: unknown) => unknown;
    }) => Duplex;
  };
}

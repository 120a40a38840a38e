/**
 * lake as a library: the same core the `lake` CLI runs on.
 */
export * from './errors.js';
export * from './storage/index.js';
export { loadConfig, storeOptions, type LakeConfig, type S3Settings } from './config.js';
export { detectFormat, type TableFormat } from './table-format.js';

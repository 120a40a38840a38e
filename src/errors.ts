/**
 * The error types every layer of lake raises. Each carries a message a user can act on
 * (what is wrong, and what to do) and, where there is one, the path it is about.
 *
 * `LakeError.code` is stable: the CLI maps it to exit codes and `--json` output, and
 * callers branch on it (or on `instanceof`) instead of matching message text.
 */
export class LakeError extends Error {
  readonly code: string;
  /** The object/table path the error is about, when there is one. */
  readonly path: string | undefined;

  constructor(code: string, message: string, options: { path?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.path = options.path;
  }
}

/** Bad input from the user: a flag, a URL, a config file. The CLI exits 2 for these. */
export class UsageError extends LakeError {
  constructor(message: string, options: { path?: string; cause?: unknown } = {}) {
    super('USAGE', message, options);
  }
}

/** Base of every object-store failure. `retryable` says whether trying again may succeed. */
export class StorageError extends LakeError {
  readonly retryable: boolean;
  constructor(
    code: string,
    message: string,
    options: { path?: string; cause?: unknown; retryable?: boolean } = {},
  ) {
    super(code, message, options);
    this.retryable = options.retryable ?? false;
  }
}

/** A conditional write lost: the object exists (if-none-match) or changed (if-match). */
export class PreconditionFailed extends StorageError {
  constructor(path: string, detail: string, options: { cause?: unknown } = {}) {
    super('PRECONDITION_FAILED', `conditional write to ${path} lost: ${detail}`, { path, ...options });
  }
}

export class NotFoundError extends StorageError {
  constructor(path: string, options: { cause?: unknown } = {}) {
    super('NOT_FOUND', `${path} does not exist`, { path, ...options });
  }
}

export class AccessDeniedError extends StorageError {
  constructor(path: string, detail: string, options: { cause?: unknown } = {}) {
    super(
      'ACCESS_DENIED',
      `access to ${path} denied (${detail}): check the credentials and their permissions`,
      { path, ...options },
    );
  }
}

/** The server asked us to slow down (S3 503 SlowDown, HTTP 429). Retryable. */
export class ThrottledError extends StorageError {
  constructor(path: string, detail: string, options: { cause?: unknown } = {}) {
    super('THROTTLED', `${path}: the server is throttling requests (${detail})`, {
      path,
      retryable: true,
      ...options,
    });
  }
}

/** A 5xx answer from the server. Retryable. */
export class ServerError extends StorageError {
  constructor(path: string, detail: string, options: { cause?: unknown } = {}) {
    super('SERVER_ERROR', `${path}: the object store failed (${detail})`, {
      path,
      retryable: true,
      ...options,
    });
  }
}

/** The connection failed, was reset, or timed out. Retryable. */
export class NetworkError extends StorageError {
  constructor(path: string, detail: string, options: { cause?: unknown } = {}) {
    super('NETWORK', `${path}: network error talking to the object store (${detail})`, {
      path,
      retryable: true,
      ...options,
    });
  }
}

/** A byte range that starts at or past the end of the object (HTTP 416). */
export class RangeNotSatisfiableError extends StorageError {
  constructor(path: string, detail: string, options: { cause?: unknown } = {}) {
    super('RANGE_NOT_SATISFIABLE', `${path}: ${detail}`, { path, ...options });
  }
}

/** Anything else the store reported; not retryable. */
export class UnexpectedStorageError extends StorageError {
  constructor(path: string, detail: string, options: { cause?: unknown } = {}) {
    super('STORAGE', `${path}: ${detail}`, { path, ...options });
  }
}

/**
 * Scrubbing credentials out of text before the CLI prints it (error messages, stacks, causes).
 * Errors from the AWS SDK and from HTTP layers can quote presigned URLs, Authorization headers or
 * the configuration they were given; none of that may reach a terminal or a CI log.
 */

export const REDACTED = '[REDACTED]';

/** Environment variables whose values are secrets. */
export const SECRET_ENV_VARS = ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN'] as const;

// Query parameters and Authorization-header fields that carry credentials or signatures.
const SIGNED_PARAM = /\b(X-Amz-Credential|X-Amz-Signature|X-Amz-Security-Token|Signature|Credential|AWSAccessKeyId)=([^&\s,;"'<>]+)/gi;
// `secretAccessKey: "…"`, `aws_secret_access_key = …`, `"sessionToken":"…"` and the like.
const SECRET_FIELD = /\b((?:aws_?)?(?:secret_?access_?key|session_?token|security_?token))(["']?\s*[:=]\s*["']?)([^\s"',;}&]+)/gi;
// A free-standing AWS secret access key: 40 base64 characters with both cases (which leaves out
// hex digests such as SHA-1s).
const SECRET_KEY_SHAPE = /(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]{0,39}[a-z])(?=[A-Za-z0-9/+]{0,39}[A-Z])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;

/** Secrets shorter than this are not replaced literally: they would match ordinary text. */
const MIN_SECRET_LENGTH = 8;

/**
 * `text` with credentials replaced by [REDACTED]: the given secret values (also in their URL-encoded
 * form), signed-URL and Authorization parameters, secret-looking fields and AWS-secret-key-shaped
 * tokens.
 */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  const literal = new Set<string>();
  for (const secret of secrets) {
    if (secret === undefined || secret.length < MIN_SECRET_LENGTH) continue;
    literal.add(secret);
    literal.add(encodeURIComponent(secret));
  }
  // Longest first, so a secret is not half-replaced by a shorter one it contains.
  for (const secret of [...literal].sort((a, b) => b.length - a.length)) out = out.split(secret).join(REDACTED);
  out = out.replace(SIGNED_PARAM, (_match, name: string) => `${name}=${REDACTED}`);
  out = out.replace(SECRET_FIELD, (_match, name: string, separator: string) => `${name}${separator}${REDACTED}`);
  out = out.replace(SECRET_KEY_SHAPE, REDACTED);
  return out;
}

/** The secret values in an environment (AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN…). */
export function secretsFromEnv(env: Readonly<Record<string, string | undefined>>): string[] {
  const values: string[] = [];
  for (const name of SECRET_ENV_VARS) {
    const value = env[name];
    if (value !== undefined && value !== '') values.push(value);
  }
  return values;
}

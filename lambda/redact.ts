/**
 * What keeps credentials out of the evidence, the logs and the messages. A run holds one
 * `Redactor`: the code that loads a credential (a kubeconfig user, an EKS token, the webhook
 * URL and key, the AWS keys in the environment) registers it, and the boundaries where text
 * from servers, plugins and SDKs becomes report, log or message text pass it through
 * `redact`. Besides the registered values, anything shaped like a credential is replaced too:
 * a server may echo a token the run never held (an exec plugin's refresh token).
 */
export const REDACTED = '[redacted]';

/** Registered values this long are replaced wherever they occur, inside words too. */
const ANYWHERE_MIN = 8;
/**
 * Shorter ones (a test cluster's password) only as whole words, so that `admin` as a password
 * does not cut `administrator` in half; under this length a value cannot be told from text.
 */
const WHOLE_WORD_MIN = 4;

/**
 * Key names whose value is a credential, in `key=value`, `key: value` and `"key": "value"`. The
 * value must look like one (8 characters or more, a digit among them), so that a cluster named
 * `url-password` keeps its `: complete`; and the key must not be a segment of an ARN or a path
 * (`arn:aws:secretsmanager:us-east-1:...` names a secret, it is not one).
 */
const SECRET_KEY =
  /(?<![\w.:/-])(["']?)\b([\w.-]*(?:token|secret|passw(?:or)?d|passwd|pwd|api[_-]?key|access[_-]?key|private[_-]?key|credential|signature|session[_-]?key)[\w-]*|sig|auth)\1(\s*[:=]\s*)(["']?)((?=[^\s"',;&}\]]*\d)[^\s"',;&}\]]{8,})/gi;

/** Shapes of credentials, each with what replaces it (the label kept, so a reader sees what was there). */
const SHAPES: ReadonlyArray<readonly [RegExp, string]> = [
  // A PEM private key, whole, or cut off after its first line.
  [
    /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?:[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----|[\s\S]*$)/g,
    `${REDACTED} (private key)`,
  ],
  // JSON Web Tokens: ServiceAccount tokens, OIDC id tokens.
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // An EKS token is a presigned STS URL: whoever holds it is the audit for 15 minutes.
  [/\bk8s-aws-v1\.[A-Za-z0-9_-]+/g, `k8s-aws-v1.${REDACTED}`],
  // HTTP authorization values; the token must look like one (a digit or a symbol), not a word.
  [/\b(Bearer|Basic|Token)(\s+)(?=[A-Za-z.]*[0-9_~+/=-])[A-Za-z0-9._~+/=-]{8,}/g, `$1$2${REDACTED}`],
  // AWS access key ids and session tokens.
  [/\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g, REDACTED],
  [/\b(?:IQoJb3JpZ2lu|FwoGZXIvYXdz|FQoGZXIvYXdz)[A-Za-z0-9/+=]{16,}/g, REDACTED],
  // A password in a URL: scheme://user:password@host.
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*):[^\s/@]+@/gi, `$1:${REDACTED}@`],
  [SECRET_KEY, `$1$2$1$3$4${REDACTED}`],
];

/** Cheap test for "could any shape be in here": most strings of a report are names, paths and prose. */
const MAYBE_SHAPED =
  /PRIVATE KEY|eyJ|k8s-aws-v1|Bearer|Basic|A[KBS]IA|ACCA|IQoJ|Fwo|FQo|:\/\/[^\s/]*@|token|secret|passw|pwd|api.?key|access.?key|credential|signature|sig|auth/i;

/**
 * The forms a value takes in text: as is, URL-encoded, and escaped inside a JSON string. A PEM
 * key also by each line of its body (an error may quote one) and base64-encoded whole, as a
 * kubeconfig's `client-key-data` holds it.
 */
function forms(value: string): string[] {
  const all = [value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)];
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(value)) {
    all.push(Buffer.from(value).toString('base64'));
    for (const line of value.split(/\r?\n/))
      if (line.length >= 16 && !line.startsWith('-----')) all.push(line);
  }
  return all;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class Redactor {
  readonly #values = new Set<string>();
  #anywhere: RegExp | undefined;
  #wholeWords: RegExp | undefined;

  /** Registers credentials the run holds; empty and undefined values are ignored. */
  add(...values: ReadonlyArray<string | undefined>): this {
    for (const value of values) {
      if (value === undefined || value.trim().length < WHOLE_WORD_MIN) continue;
      for (const form of forms(value)) this.#values.add(form);
      this.#anywhere = undefined;
      this.#wholeWords = undefined;
    }
    return this;
  }

  /** The credentials inside a URL: its password, and the values of its query parameters. */
  addUrl(url: string): this {
    if (!URL.canParse(url)) return this;
    const parsed = new URL(url);
    this.add(decodeURIComponent(parsed.password));
    for (const [name, value] of parsed.searchParams) if (SECRET_NAME.test(name)) this.add(value);
    return this;
  }

  /** The text with every registered credential and everything shaped like one replaced. */
  redact(text: string): string {
    let result = text;
    if (this.#values.size > 0) {
      this.#compile();
      if (this.#anywhere) result = result.replace(this.#anywhere, REDACTED);
      if (this.#wholeWords) result = result.replace(this.#wholeWords, REDACTED);
    }
    if (!MAYBE_SHAPED.test(result)) return result;
    for (const [pattern, replacement] of SHAPES) result = result.replace(pattern, replacement);
    return result;
  }

  /** A copy of a plain value (a report, a log entry) with every string in it redacted. */
  redactDeep<T>(value: T): T {
    // A report repeats its strings (titles, remediations, references, namespaces): each once.
    const done = new Map<string, string>();
    const text = (item: string) => {
      let redacted = done.get(item);
      if (redacted === undefined) {
        redacted = this.redact(item);
        done.set(item, redacted);
      }
      return redacted;
    };
    const deep = (item: unknown): unknown => {
      if (typeof item === 'string') return text(item);
      if (Array.isArray(item)) return item.map(deep);
      if (item !== null && typeof item === 'object' && isPlain(item)) {
        const copy: Record<string, unknown> = {};
        for (const [key, entry] of Object.entries(item)) copy[key] = deep(entry);
        return copy;
      }
      return item;
    };
    return deep(value) as T;
  }

  #compile(): void {
    if (this.#anywhere !== undefined || this.#wholeWords !== undefined) return;
    // Longest first, so that a URL is replaced whole before a part of it is.
    const ordered = [...this.#values].sort((a, b) => b.length - a.length);
    const long = ordered.filter((value) => value.length >= ANYWHERE_MIN).map(escapeRegExp);
    const short = ordered.filter((value) => value.length < ANYWHERE_MIN).map(escapeRegExp);
    this.#anywhere = long.length > 0 ? new RegExp(long.join('|'), 'g') : undefined;
    this.#wholeWords =
      short.length > 0 ? new RegExp(`(?<![A-Za-z0-9])(?:${short.join('|')})(?![A-Za-z0-9])`, 'g') : undefined;
  }
}

function isPlain(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Query parameters that carry credentials (Teams' `sig`, SigV4's signature and token, `access_token`). */
const SECRET_NAME = /token|secret|passw|signature|credential|key|^sig$|^code$/i;

/**
 * The AWS credentials in the environment (a profile's keys exported, or Lambda's role
 * session): an SDK error must not carry them into a log. The access key id is not secret;
 * it also names the signer in every presigned link, so it stays. A real secret key has 40
 * characters; a short one is a local stand-in (LocalStack's `test`), and replacing it as a
 * word would cut a cluster named `test` out of the report.
 */
export function environmentSecrets(env: NodeJS.ProcessEnv): string[] {
  return [env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN].filter(
    (value): value is string => value !== undefined && value.length >= 16,
  );
}

/**
 * The credentials in HTTP headers a client sends: `Bearer <token>`, and for `Basic` the
 * encoded pair and the password inside it.
 */
export function headerSecrets(headers: Readonly<Record<string, string>>): string[] {
  const found: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (!/^(authorization|proxy-authorization|cookie|x-[\w-]*(token|key|secret)[\w-]*)$/i.test(name))
      continue;
    found.push(value);
    const [scheme, credential] = value.split(/\s+/, 2);
    if (credential === undefined) continue;
    found.push(credential);
    if (scheme?.toLowerCase() === 'basic') {
      const pair = Buffer.from(credential, 'base64').toString('utf8');
      found.push(pair, pair.slice(pair.indexOf(':') + 1));
    }
  }
  return found;
}

// The one place that knows what a secret looks like in text: credentials in a URL (`user:pass@`, a
// `?token=` value, the token in a webhook's path), bot tokens, `Bearer`/`Basic` credentials and
// `password=…` pairs. Used wherever text is logged or recorded — the JSON logger, every
// TroupeError's reason (so task records, dead letters, events and traces hold the redacted text),
// the notifier's delivery errors and notices, the Inspector's errors — and by the host to show a
// configured URL. Text with nothing to redact comes back unchanged.

const MASK = "***";

/** Names of query parameters (and `name=value` pairs in text) whose value is a credential. */
const SECRET_NAME =
  /token|secret|passw(or)?d|pwd|api[-_]?key|access[-_]?key|signature|sig$|auth|credential|session|code$/i;

/** `name=value` pairs in free text whose name says the value is a secret. */
const SECRET_PAIR =
  /\b([\w.-]*(?:token|secret|passw(?:or)?d|pwd|api[-_]?key|access[-_]?key|credential)[\w.-]*)=([^\s&"',;)]+)/gi;

/** Discord bot tokens, Bearer and Basic credentials, wherever they appear. */
const SECRET_SHAPE =
  /([A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,})|(Bearer\s+[A-Za-z0-9._~+/-]+=*)|(Basic\s+[A-Za-z0-9+/][a-z]*[A-Z0-9+/][A-Za-z0-9+/]{6,}=*)/g;

/** Something that starts like a URL with a scheme, up to whitespace or a quote. */
const URL_IN_TEXT = /\b[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s"'<>`]+/g;

/** The user info of a URL that does not parse (a usage text's `[user:password@]` is not one). */
const USER_INFO = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)[^/?#@\s[\]]+@/;

/** Path segments after these carry a webhook's token (Discord, Slack, …). */
const HOOK_SEGMENT = /^(webhooks?|hooks)$/i;

/** A long segment of letters and digits, shaped like a key rather than a word. */
const looksLikeToken = (segment: string) =>
  segment.length >= 20 && /[A-Za-z]/.test(segment) && /\d/.test(segment) && /^[\w.~%-]+$/.test(segment);

/**
 * The parts of `url` that are credentials: the password (or a user name alone, which some servers
 * take as the password), values of secret-named query parameters, a webhook path's token, long
 * key-shaped path segments and the fragment. Empty for text that is not a URL.
 */
export const secretsInUrl = (text: string): string[] => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return [];
  }
  const secrets: string[] = [];
  if (url.password !== "") secrets.push(url.password);
  else if (url.username !== "") secrets.push(url.username);
  for (const [name, value] of url.searchParams)
    if (SECRET_NAME.test(name) && value !== "") secrets.push(value);
  const segments = url.pathname.split("/");
  const hook = segments.findIndex((segment) => HOOK_SEGMENT.test(segment));
  for (const [index, segment] of segments.entries())
    if ((hook >= 0 && index > hook + 1) || looksLikeToken(segment)) secrets.push(segment);
  if (url.hash.length > 1) secrets.push(url.hash.slice(1));
  return secrets.filter((secret) => secret !== "");
};

/**
 * A URL as it may be shown: `redis://user:***@host:6379/0`, `https://hooks.example/x?token=***`.
 * Text that does not parse as a URL loses whatever comes before an "@" it holds.
 */
export const redactUrl = (text: string): string => {
  // Without "scheme://" there is no user info to find ("user:pw@host" parses as the scheme "user:"):
  // everything before the last "@" is masked, as for a URL that does not parse.
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.exec(text)?.[0];
  let url: URL | undefined;
  try {
    url = scheme === undefined ? undefined : new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined) {
    const at = text.lastIndexOf("@");
    return at < 0 ? text : `${scheme ?? ""}${MASK}${text.slice(at)}`;
  }
  if (secretsInUrl(text).length === 0) return text;
  if (url.password !== "") url.password = MASK;
  else if (url.username !== "") url.username = MASK;
  for (const name of [...url.searchParams.keys()])
    if (SECRET_NAME.test(name) && url.searchParams.get(name) !== "") url.searchParams.set(name, MASK);
  const segments = url.pathname.split("/");
  const hook = segments.findIndex((segment) => HOOK_SEGMENT.test(segment));
  url.pathname = segments
    .map((segment, index) => ((hook >= 0 && index > hook + 1) || looksLikeToken(segment) ? MASK : segment))
    .join("/");
  if (url.hash.length > 1) url.hash = MASK;
  // URL encodes "*" in the user info and the query; the mask reads better as it is.
  return url.toString().replaceAll("%2A%2A%2A", MASK);
};

/** `text` with every URL's credentials, bot token, Bearer/Basic credential and `secret=…` pair masked. */
export const redactText = (text: string): string => {
  if (text === "") return text;
  return text
    .replace(URL_IN_TEXT, (url) =>
      URL.canParse(url) ? redactUrl(url) : url.replace(USER_INFO, `$1${MASK}@`),
    )
    .replace(SECRET_PAIR, (_pair, name: string) => `${name}=${MASK}`)
    .replace(SECRET_SHAPE, "[redacted]");
};

/**
 * Mask known secret values (and their percent-encoded and Basic-credential forms) in `text`: for
 * an adapter that knows its own credentials and passes on what a remote service answered.
 */
export const maskSecrets = (text: string, secrets: readonly string[]): string => {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    for (const form of new Set([secret, encodeURIComponent(secret), safeDecode(secret)]))
      out = out.split(form).join(MASK);
  }
  return out;
};

const safeDecode = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

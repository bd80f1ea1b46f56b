// A connection URL as it may be shown in logs and errors: the password (and a user name alone, which
// some servers take as the password) replaced, so `REDIS_URL=redis://:secret@host` never leaks.

/** `redis://user:***@host:6379/0`; text that is not a URL is cut at any "@" it holds. */
export const redactUrl = (text: string): string => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    const at = text.lastIndexOf("@");
    return at < 0 ? text : `***${text.slice(at)}`;
  }
  if (url.password !== "") url.password = "***";
  else if (url.username !== "") url.username = "***";
  return url.toString();
};

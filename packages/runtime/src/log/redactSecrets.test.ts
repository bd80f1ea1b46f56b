// What counts as a secret in text, and that a redacted text never holds one: URLs with `user:pass@`,
// `?token=`, a webhook's path token; bot tokens, Bearer/Basic credentials, `password=` pairs; and
// text without secrets left exactly as it was.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TroupeError } from "../errors/TroupeError.ts";
import { jsonLogger } from "./Logger.ts";
import { maskSecrets, redactText, redactUrl, secretsInUrl } from "./redactSecrets.ts";

describe("redactUrl", () => {
  it("masks a password, a lone user name, secret query values, a webhook token and the fragment", () => {
    expect(redactUrl("redis://app:s3cret@cache:6379/2")).toBe("redis://app:***@cache:6379/2");
    expect(redactUrl("redis://only-a-user@cache")).toBe("redis://***@cache");
    expect(redactUrl("https://hooks.example/in?token=abc123&channel=ops")).toBe(
      "https://hooks.example/in?token=***&channel=ops",
    );
    expect(redactUrl("https://discord.com/api/webhooks/1234/stand-in-webhook-token?wait=true")).toBe(
      "https://discord.com/api/webhooks/1234/***?wait=true",
    );
    expect(redactUrl("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXX1234")).toBe(
      "https://hooks.slack.com/services/T00000000/B00000000/***",
    );
    expect(redactUrl("https://example.com/cb#access_token=xyz")).toBe("https://example.com/cb#***");
  });

  it("leaves a URL without credentials as it was written", () => {
    expect(redactUrl("redis://cache:6379")).toBe("redis://cache:6379");
    expect(redactUrl("http://127.0.0.1:11434")).toBe("http://127.0.0.1:11434");
  });

  it("cuts text that is not a URL at its '@'", () => {
    expect(redactUrl("secret@cache:6379")).toBe("***@cache:6379");
    expect(redactUrl("no secrets here")).toBe("no secrets here");
  });
});

describe("redactText", () => {
  it("masks every URL's credentials inside a sentence, and secret-shaped values", () => {
    const text =
      "Request cannot be constructed from a URL that includes credentials: https://bob:hunter2@hooks.example/x?token=t0k3n";
    expect(redactText(text)).toBe(
      "Request cannot be constructed from a URL that includes credentials: https://bob:***@hooks.example/x?token=***",
    );
    expect(redactText("login failed password=hunter2 user=bob")).toBe("login failed password=*** user=bob");
    expect(redactText("sent Authorization: Basic Ym9iOmh1bnRlcjI=")).toBe("sent Authorization: [redacted]");
    expect(redactText("Basic authentication required")).toBe("Basic authentication required");
  });

  it("never lets a generated password, user name or token through", () => {
    const word = fc.stringMatching(/^[A-Za-z0-9]{6,24}$/);
    fc.assert(
      fc.property(word, word, word, fc.string(), (user, password, token, around) => {
        const text = `${around} redis://${user}:${password}@cache:6379 ${around} https://h.example/p?token=${token} ${around}`;
        const out = redactText(text);
        if (!around.includes(password)) expect(out).not.toContain(`:${password}@`);
        expect(out).not.toContain(`token=${token}`);
      }),
    );
  });

  it("keeps text without secrets byte for byte", () => {
    fc.assert(
      fc.property(
        fc.string().filter((text) => !/[:=@]|Bearer|Basic/.test(text)),
        (text) => {
          expect(redactText(text)).toBe(text);
        },
      ),
    );
  });

  it("is what a TroupeError's reason and a log line hold", () => {
    const error = new TroupeError("ModelUnavailable", "cannot reach http://u:pw-123456@models.lan/api");
    expect(error.reason).toBe("cannot reach http://u:***@models.lan/api");
    expect(error.message).toBe(error.reason);
    const lines: string[] = [];
    jsonLogger({ write: (line) => lines.push(line) }).log("error", "failed", {
      error: "POST https://x:topsecret@hooks.example/ failed",
    });
    expect(lines.join("")).not.toContain("topsecret");
  });
});

describe("maskSecrets and secretsInUrl", () => {
  it("masks known values and their encoded forms", () => {
    expect(secretsInUrl("https://a:p%40ss@h.example/x?token=t1&x=1")).toEqual(["p%40ss", "t1"]);
    expect(maskSecrets("echo p@ss and p%40ss and t1", ["p%40ss", "t1"])).toBe("echo *** and *** and t1");
    expect(maskSecrets("echo token t1234", ["t1234"])).toBe("echo token ***");
  });
});

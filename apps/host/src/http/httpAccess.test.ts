// Who may use the HTTP routes. In-process: a Host that is not a loopback name, an IP address or an
// allowed name is answered 421 on every route (DNS rebinding), whatever the name looks like; with
// a token, /inspect answers 401 without it and opens with it (Bearer, or the printed address that
// moves it into a cookie), while /metrics and /healthz stay open. Through the real `troupe start`:
// bound to loopback /inspect needs no token but refuses a foreign Host; bound to 0.0.0.0 it makes
// a token, prints it once on stdout (never in the logs), and the stream opens only with it; and
// /metrics and /healthz never carry a task's text. `troupe inspect --host 0.0.0.0` does the same.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInspector, silentLogger } from "@troupe/runtime";
import { createRuntimeMetrics } from "@troupe/runtime/metrics";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInspectHandler } from "../inspect/createInspectHandler.ts";
import { liveSource } from "../inspect/InspectSource.ts";
import { createHostTeam } from "../team/createHostTeam.ts";
import { spawnTroupe } from "../testing/spawnTroupe.ts";
import { isLoopbackHost } from "./httpAccess.ts";
import { type RunningHttpServer, startHttpServer } from "./startHttpServer.ts";

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** GET with any headers (fetch may not set Host); reads `limit` bytes at most (an SSE never ends). */
const get = (
  port: number,
  path: string,
  headers: Record<string, string> = {},
  until?: (body: string) => boolean,
): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const call = request({ host: "127.0.0.1", port, path, headers, timeout: 10_000 }, (response) => {
      let body = "";
      const done = () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body });
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        body += chunk;
        if (until?.(body)) {
          done();
          call.destroy();
        }
      });
      response.on("end", done);
    });
    call.on("timeout", () => call.destroy(new Error(`no answer for ${path}`)));
    call.on("error", reject);
    call.end();
  });

const TOKEN = "a-token-of-sixteen-or-more";
const portOf = (url: string) => Number(new URL(url).port);

describe("the HTTP server's access check", () => {
  const team = createHostTeam({ logger: silentLogger });
  const metrics = createRuntimeMetrics({ team, defaultMetrics: false });
  const inspector = createInspector();
  const detach = inspector.attachTeam(team);
  const inspect = createInspectHandler({ source: liveSource(inspector) });
  let open: RunningHttpServer;
  let guarded: RunningHttpServer;
  beforeAll(async () => {
    open = await startHttpServer({
      team,
      metrics,
      host: "127.0.0.1",
      port: 0,
      inspect,
      access: { allowedHosts: ["troupe.lan", ".home.arpa"], token: undefined },
    });
    guarded = await startHttpServer({
      team,
      metrics,
      host: "127.0.0.1",
      port: 0,
      inspect,
      access: { allowedHosts: [], token: TOKEN },
    });
  });
  afterAll(async () => {
    await open.close();
    await guarded.close();
    await inspect.close();
    detach();
    metrics.close();
    team.stop();
  });

  it("answers loopback names, IP addresses and allowed names on every route", async () => {
    const port = portOf(open.url);
    for (const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      "LOCALHOST",
      `[::1]:${port}`,
      "app.localhost",
      "192.168.1.20:9464",
      "troupe.lan",
      "troupe.lan.",
      "home.arpa",
      "box.home.arpa:9464",
    ])
      for (const path of ["/healthz", "/metrics", "/inspect"])
        expect([host, path, (await get(port, path, { host })).status]).toEqual([host, path, 200]);
  });

  it("refuses any other Host with 421 on every route, naming the setting", async () => {
    const port = portOf(open.url);
    const refused = await get(port, "/inspect/api/stream", { host: "evil.example.com:9464" });
    expect(refused.status).toBe(421);
    expect(JSON.parse(refused.body).error).toBe(
      'this server does not answer to Host "evil.example.com:9464": use its IP address or localhost, or add the name to TROUPE_HTTP_ALLOWED_HOSTS',
    );
    const name = fc
      .domain()
      .filter(
        (domain) =>
          !/(^|\.)localhost$/.test(domain) && domain !== "troupe.lan" && !/(^|\.)home\.arpa$/.test(domain),
      );
    await fc.assert(
      fc.asyncProperty(
        name,
        fc.constantFrom("/metrics", "/healthz", "/inspect", "/inspect/api/stream"),
        async (host, path) => {
          expect((await get(port, path, { host })).status).toBe(421);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("asks for the token on /inspect only, and takes it as Bearer, or from the address into a cookie", async () => {
    const port = portOf(guarded.url);
    expect((await get(port, "/metrics")).status).toBe(200);
    expect((await get(port, "/healthz")).status).toBe(200);
    for (const path of ["/inspect", "/inspect/page.js", "/inspect/api/stream", "/inspect/api/layout/x"]) {
      const refused = await get(port, path);
      expect([path, refused.status]).toEqual([path, 401]);
      expect(refused.body).not.toContain(TOKEN);
      expect((await get(port, path, { authorization: "Bearer wrong-token-0123456789" })).status).toBe(401);
    }
    expect((await get(port, "/inspect", { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    // A layout that does not exist: past the token check, a 404 of the visualizer's own.
    expect((await get(port, "/inspect/api/layout/x", { authorization: `Bearer ${TOKEN}` })).status).toBe(404);

    const opened = await get(port, `/inspect?token=${TOKEN}`);
    expect(opened.status).toBe(303);
    expect(opened.headers.location).toBe("/inspect");
    const setCookie = String(opened.headers["set-cookie"]);
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Strict");
    const cookie = setCookie.split(";")[0]!;
    expect((await get(port, "/inspect", { cookie })).status).toBe(200);
    const stream = await get(port, "/inspect/api/stream", { cookie }, (body) =>
      body.includes("event: ready"),
    );
    expect(stream.status).toBe(200);
    expect((await get(port, `/inspect?token=${TOKEN}x`)).status).toBe(401);
  });

  it("knows which bind addresses stay on this machine", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"])
      expect([host, isLoopbackHost(host)]).toEqual([host, true]);
    for (const host of ["0.0.0.0", "::", "192.168.1.5", "box.lan"])
      expect([host, isLoopbackHost(host)]).toEqual([host, false]);
  });
});

describe("troupe start's HTTP server", () => {
  const SECRET_TASK = "my api key is sk-live-4f9a8b7c6d5e";

  it("on loopback: /inspect needs no token, a foreign Host gets 421, /metrics and /healthz hold no task text", async () => {
    const troupe = spawnTroupe(["start"]);
    const listening = await troupe.log("http listening");
    const port = portOf(String(listening.url));
    expect(listening.inspectAccess).toBe("this machine only");
    troupe.send(`/ask echo ${SECRET_TASK}`);
    await troupe.line(/✅ done$/);
    expect((await get(port, "/inspect/api/stream", { host: "evil.example.com" })).status).toBe(421);
    expect((await get(port, "/metrics", { host: "evil.example.com" })).status).toBe(421);
    const stream = await get(port, "/inspect/api/stream", {}, (body) => body.includes("event: ready"));
    expect(stream.status).toBe(200);
    expect(stream.body).toContain("sk-live-4f9a8b7c6d5e");
    for (const path of ["/metrics", "/healthz"]) {
      const answer = await get(port, path);
      expect(answer.status).toBe(200);
      expect(answer.body).not.toContain("sk-live");
      expect(answer.body).not.toContain("api key");
    }
    troupe.end();
    expect(await troupe.exited).toBe(0);
  });

  it("beyond loopback: makes a token, prints it once on stdout only, and /inspect opens only with it", async () => {
    const troupe = spawnTroupe(["start"], { TROUPE_HTTP_HOST: "0.0.0.0" });
    const listening = await troupe.log("http listening");
    const port = portOf(String(listening.url));
    expect(listening.inspectAccess).toBe("token made for this run (printed on stdout)");
    const printed = await troupe.line("The visualizer, from other machines too:");
    const token = /\/inspect\?token=([A-Za-z0-9_-]+)$/.exec(printed)![1]!;
    expect(token.length).toBeGreaterThanOrEqual(40);
    expect(
      await troupe.log(
        "http reachable beyond this machine: /metrics and /healthz answer anyone who can reach it, /inspect needs the token",
      ),
    ).toMatchObject({ level: "warn" });
    troupe.send(`/ask echo ${SECRET_TASK}`);
    await troupe.line(/✅ done$/);

    expect((await get(port, "/inspect/api/stream")).status).toBe(401);
    expect((await get(port, "/inspect")).status).toBe(401);
    expect((await get(port, "/metrics")).status).toBe(200);
    const opened = await get(port, `/inspect?token=${token}`);
    expect(opened.status).toBe(303);
    const cookie = String(opened.headers["set-cookie"]).split(";")[0]!;
    const stream = await get(port, "/inspect/api/stream", { cookie }, (body) =>
      body.includes("event: ready"),
    );
    expect(stream.body).toContain("sk-live-4f9a8b7c6d5e");

    troupe.end();
    expect(await troupe.exited).toBe(0);
    expect(troupe.stdout.filter((line) => line.includes(token))).toHaveLength(1);
    expect(troupe.stderr.join("\n")).not.toContain(token);
  });

  it("troupe inspect beyond loopback: the printed address carries a token, and the page needs it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "troupe-inspect-token-"));
    try {
      const trace = join(dir, "run.jsonl");
      writeFileSync(trace, "");
      const inspect = spawnTroupe(["inspect", trace, "--host", "0.0.0.0"]);
      const address = new URL((await inspect.line(/^open /)).slice("open ".length));
      const token = address.searchParams.get("token")!;
      expect(token.length).toBeGreaterThanOrEqual(40);
      const port = Number(address.port);
      expect((await get(port, "/inspect")).status).toBe(401);
      expect((await get(port, "/inspect", { host: "evil.example.com" })).status).toBe(421);
      expect((await get(port, `/inspect?token=${token}`)).status).toBe(303);
      inspect.child.kill("SIGTERM");
      await inspect.exited;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a TROUPE_HTTP_TOKEN too short to be one, without showing it", async () => {
    const troupe = spawnTroupe(["start"], { TROUPE_HTTP_TOKEN: "letmein" });
    expect(await troupe.exited).toBe(2);
    const said = [...troupe.stdout, ...troupe.stderr].join("\n");
    expect(said).toContain("TROUPE_HTTP_TOKEN must be at least 16");
    expect(said).not.toContain("letmein");
  });
});

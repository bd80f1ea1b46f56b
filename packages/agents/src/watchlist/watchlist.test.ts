// The watchlist: file and HTTP quote sources, threshold signals and alerts, the formatters, and the
// optional summary on the scripted model and through the real ollama client on the stand-in.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSupervisor, EventBus } from "@troupe/runtime";
import { createOllamaLlm } from "@troupe/runtime/ollama";
import { createTestTeam, ScriptedModel } from "@troupe/runtime/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type OllamaStandIn, startOllamaStandIn } from "../../../../test/harness/ollamaStandIn.ts";
import { fileQuoteSource, httpQuoteSource, sampleQuotesCsv, sampleQuotesJson } from "./QuoteSource.ts";
import { createWatchlist, symbolsIn, watchlistFormatters } from "./watchlist.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const tempFile = async (name: string, text: string) => {
  const dir = await mkdtemp(join(tmpdir(), "troupe-watchlist-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
};

describe("quote sources", () => {
  it("reads the shipped sample data as CSV and as JSON alike", async () => {
    const csv = await fileQuoteSource(sampleQuotesCsv).quotes([]);
    const json = await fileQuoteSource(sampleQuotesJson).quotes([]);
    expect(csv).toEqual(json);
    expect(csv.find((quote) => quote.symbol === "NVDA")).toEqual({
      symbol: "NVDA",
      price: 148.9,
      previousClose: 139.2,
      change: 9.7,
      changePercent: 6.97,
      currency: "USD",
      at: "2026-11-20T21:00:00Z",
    });
    expect((await fileQuoteSource(sampleQuotesCsv).quotes(["msft"])).map((q) => q.symbol)).toEqual(["MSFT"]);
  });

  it("names the bad row and field", async () => {
    const path = await tempFile("bad.csv", "symbol,price\nAAPL,abc\n");
    await expect(fileQuoteSource(path).quotes([])).rejects.toThrow(/bad\.csv: quote 1 is invalid: .*price/);
    expect(() => fileQuoteSource("/tmp/quotes.xml")).toThrow(/must end in \.csv or \.json/);
    await expect(fileQuoteSource("/no/such/quotes.json").quotes([])).rejects.toThrow(/cannot read/);
  });

  it("asks an HTTP endpoint on 127.0.0.1 for the symbols", async () => {
    const asked: string[] = [];
    const server: Server = createServer((request, response) => {
      asked.push(request.url ?? "");
      if (request.url?.includes("BROKEN")) {
        response.writeHead(502).end();
        return;
      }

      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify([{ symbol: "AAPL", price: 240, previousClose: 230 }]));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/quotes`;
    const source = httpQuoteSource({ url });
    expect(await source.quotes(["AAPL", "MSFT"])).toEqual([
      {
        symbol: "AAPL",
        price: 240,
        previousClose: 230,
        change: 10,
        changePercent: 4.35,
        currency: null,
        at: null,
      },
    ]);
    expect(asked[0]).toBe("/quotes?symbols=AAPL%2CMSFT");
    await expect(source.quotes(["BROKEN"])).rejects.toThrow(/answered HTTP 502/);
  });

  it("says whether a failing source is worth trying again: down or 5xx yes, 4xx or bad data no", async () => {
    const server: Server = createServer((request, response) => {
      response.writeHead(request.url?.includes("GONE") ? 404 : 502).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/quotes`;
    const failure = (promise: Promise<unknown>) =>
      promise.then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(await failure(httpQuoteSource({ url }).quotes(["BROKEN"]))).toMatchObject({
      _tag: "UpstreamUnavailable",
      transient: true,
    });
    expect(await failure(httpQuoteSource({ url }).quotes(["GONE"]))).toMatchObject({
      _tag: "UpstreamRejected",
      transient: false,
    });
    await new Promise((resolve) => server.close(resolve));
    expect(await failure(httpQuoteSource({ url }).quotes(["AAPL"]))).toMatchObject({
      _tag: "UpstreamUnavailable",
      reason: expect.stringMatching(/did not answer/),
      transient: true,
    });
    const bad = await tempFile("bad.json", "[{}]");
    expect(await failure(fileQuoteSource(bad).quotes([]))).toMatchObject({ transient: false });
  });
});

describe("watchlist agent", () => {
  it("finds symbols in a request", () => {
    expect(symbolsIn("how are $AAPL and MSFT doing? OK, and 005930.KS")).toEqual([
      "AAPL",
      "MSFT",
      "005930.KS",
    ]);
    expect(symbolsIn("how is the market")).toEqual([]);
  });

  it("signals thresholds and alerts once per crossing on the bus", async () => {
    const path = await tempFile(
      "quotes.csv",
      "symbol,price,previousClose\nAAPL,231.4,228.1\nNVDA,148.9,139.2\n",
    );
    const bus = new EventBus();
    const alerts: string[] = [];
    bus.on("alert.raised", (event) => alerts.push(`raised ${event.alertId}`));
    bus.on("alert.resolved", (event) => alerts.push(`resolved ${event.alertId}`));
    const watchlist = createWatchlist({
      source: fileQuoteSource(path),
      rules: [
        { symbol: "AAPL", above: 230 },
        { symbol: "NVDA", movePercent: 5, severity: "critical" },
        { symbol: "MSFT", below: 400 },
      ],
      bus,
    });
    const { team } = createTestTeam({ agents: [watchlist] });
    const result = await team.ask(watchlist, "check my watchlist").result;
    expect(result.signals).toEqual([
      {
        symbol: "AAPL",
        kind: "above",
        level: 230,
        price: 231.4,
        severity: "warning",
        text: "AAPL at 231.4 is at or above 230",
      },
      {
        symbol: "NVDA",
        kind: "move",
        level: 5,
        price: 148.9,
        severity: "critical",
        text: "NVDA moved +6.97% today (signal at ±5%)",
      },
    ]);
    expect(result.missing).toEqual(["MSFT"]);
    await team.ask(watchlist, "again").result;
    expect(alerts).toEqual(["raised watchlist/AAPL/above", "raised watchlist/NVDA/move"]);
    await writeFile(path, "symbol,price,previousClose\nAAPL,229,228.1\nNVDA,148.9,139.2\n");
    expect((await watchlist.check([])).signals.map((signal) => signal.symbol)).toEqual(["NVDA"]);
    expect(alerts.at(-1)).toBe("resolved watchlist/AAPL/above");

    expect(watchlistFormatters.notification(result)).toBe(
      "AAPL at 231.4 is at or above 230; NVDA moved +6.97% today (signal at ±5%)",
    );
    expect(watchlistFormatters.markdown(result)).toContain("| NVDA | 148.9 | +9.70 (+6.97%) |");
    expect(watchlistFormatters.markdown(result)).toContain("- 🚨 NVDA moved +6.97% today");
    expect(watchlistFormatters.text(result).split("\n")[0]).toBe("AAPL       231.4 (+1.45%)");
    team.stop();
  });

  it("adds the model's summary when asked, and does without it when the model fails", async () => {
    const model = new ScriptedModel(["Apple is up a little; Nvidia jumped.", { error: "ModelUnavailable" }]);
    const watchlist = createWatchlist({ source: fileQuoteSource(sampleQuotesCsv), summarize: true });
    const { team } = createTestTeam({ agents: [watchlist], llm: () => model });
    const result = await team.ask(watchlist, "$AAPL $NVDA").result;
    expect(result.summary).toBe("Apple is up a little; Nvidia jumped.");
    expect(model.messages(0)[1]?.content).toContain("NVDA");
    expect(watchlistFormatters.markdown(result).split("\n")[0]).toBe("Apple is up a little; Nvidia jumped.");
    const without = await team.ask(watchlist, "$AAPL").result;
    expect(without.summary).toBeUndefined();
    expect(without.quotes).toHaveLength(1);
    team.stop();
  });

  it("asks for symbols when it has none", async () => {
    const watchlist = createWatchlist({ source: fileQuoteSource(sampleQuotesCsv) });
    const { team } = createTestTeam({ agents: [watchlist] });
    await expect(team.ask(watchlist, "how is the market").result).rejects.toThrow(/name the symbols/);
    team.stop();
  });
});

describe("watchlist on the Ollama stand-in", () => {
  let standIn: OllamaStandIn | undefined;
  afterEach(async () => {
    await standIn?.close();
    standIn = undefined;
  });

  it("summarises through the real ollama client", async () => {
    standIn = await startOllamaStandIn({ replies: [{ content: "Microsoft slipped while Apple rose." }] });
    const watchlist = createWatchlist({ source: fileQuoteSource(sampleQuotesJson), summarize: true });
    const url = standIn.url;
    const team = createSupervisor({
      agents: [watchlist],
      llm: (role) => createOllamaLlm({ host: url, model: "llama3.2:3b", role }),
    });
    const result = await team.ask(watchlist, "$AAPL MSFT").result;
    expect(result.summary).toBe("Microsoft slipped while Apple rose.");
    expect(standIn.requestsTo("/api/chat")[0]?.body).toMatchObject({ model: "llama3.2:3b" });
    team.stop();
  });
});

// Where quotes come from: a small port with a file provider (CSV or JSON, sample data shipped in
// packages/agents/data) and an HTTP provider (a JSON endpoint). Rows are checked with the QuoteRow
// schema, so a bad file or answer fails with the row and field named, never a stack trace. A source
// that does not answer now (down, 5xx, 429, a file being replaced) fails with UpstreamUnavailable,
// tried again later; an answer that can never be used (4xx, not JSON, bad rows) with UpstreamRejected.
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { TroupeError } from "@troupe/runtime";
import { Result, Schema } from "effect";
import { type Quote, QuoteRow, toQuote } from "./Quote.ts";

export interface QuoteSource {
  /** Shown in results ("file quotes.csv", "http 127.0.0.1:8080"). */
  readonly name: string;
  /** Quotes of these symbols (those it has; missing ones are left out). */
  quotes(symbols: readonly string[], signal?: AbortSignal): Promise<Quote[]>;
}

/** The sample data shipped with the package (CSV and JSON of the same quotes). */
export const sampleQuotesCsv = fileURLToPath(new URL("../../data/quotes.csv", import.meta.url));
export const sampleQuotesJson = fileURLToPath(new URL("../../data/quotes.json", import.meta.url));

const decodeRow = Schema.decodeUnknownResult(QuoteRow);

const rowsOf = (raw: unknown, where: string): Quote[] => {
  const list = Array.isArray(raw) ? raw : (raw as { quotes?: unknown } | null)?.quotes;
  if (!Array.isArray(list)) {
    throw new TroupeError("UpstreamRejected", `${where}: expected a list of quotes or { "quotes": [...] }`);
  }
  return list.map((row, index) => {
    const decoded = decodeRow(row);
    if (Result.isFailure(decoded)) {
      throw new TroupeError(
        "UpstreamRejected",
        `${where}: quote ${index + 1} is invalid: ${decoded.failure.message.replace(/\s+/g, " ")}`,
      );
    }
    return toQuote(decoded.success);
  });
};

/** CSV with a header (symbol, price, previousClose, currency, at); numbers where numbers belong. */
export const parseQuotesCsv = (text: string, where = "csv"): Quote[] => {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "" && !line.startsWith("#"));
  const header = (lines.shift() ?? "").split(",").map((cell) => cell.trim());
  if (!header.includes("symbol") || !header.includes("price")) {
    throw new TroupeError("UpstreamRejected", `${where}: the header must name at least symbol and price`);
  }
  const numeric = new Set(["price", "previousClose"]);
  const rows = lines.map((line) => {
    const cells = line.split(",").map((cell) => cell.trim());
    const row: Record<string, unknown> = {};
    header.forEach((name, index) => {
      const cell = cells[index];
      if (cell === undefined || cell === "") return;
      row[name] = numeric.has(name) && cell !== "" && !Number.isNaN(Number(cell)) ? Number(cell) : cell;
    });
    return row;
  });
  return rowsOf(rows, where);
};

const pick = (quotes: readonly Quote[], symbols: readonly string[]): Quote[] => {
  if (symbols.length === 0) return [...quotes];
  const wanted = new Set(symbols.map((symbol) => symbol.toUpperCase()));
  return quotes.filter((quote) => wanted.has(quote.symbol));
};

/** Quotes from a .csv or .json file, read on each call (edit the file, the next check sees it). */
export const fileQuoteSource = (path: string): QuoteSource => {
  const kind = extname(path).toLowerCase();
  if (kind !== ".csv" && kind !== ".json") {
    throw new TroupeError("InvalidAgent", `watchlist file source: ${path} must end in .csv or .json`);
  }
  return {
    name: `file ${path}`,
    async quotes(symbols) {
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch (error) {
        throw new TroupeError(
          "UpstreamUnavailable",
          `watchlist: cannot read ${path}: ${(error as Error).message}`,
        );
      }
      if (kind === ".csv") return pick(parseQuotesCsv(text, path), symbols);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (error) {
        throw new TroupeError(
          "UpstreamRejected",
          `watchlist: ${path} is not JSON: ${(error as Error).message}`,
        );
      }
      return pick(rowsOf(json, path), symbols);
    },
  };
};

export interface HttpQuoteSourceOptions {
  /** The endpoint; `?symbols=A,B` is added. It answers a list of quotes or { "quotes": [...] }. */
  readonly url: string;
  /** How long one request may take (default 10 s). */
  readonly timeoutMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Quotes from a JSON HTTP endpoint. */
export const httpQuoteSource = (options: HttpQuoteSourceOptions): QuoteSource => {
  const base = new URL(options.url);
  return {
    name: `http ${base.host}`,
    async quotes(symbols, signal) {
      const url = new URL(base);
      if (symbols.length > 0) url.searchParams.set("symbols", symbols.join(","));
      const timeout = AbortSignal.timeout(options.timeoutMs ?? 10_000);
      let response: Response;
      try {
        response = await fetch(url, {
          headers: { accept: "application/json", ...options.headers },
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        throw new TroupeError(
          "UpstreamUnavailable",
          `watchlist: ${url.host} did not answer: ${(error as Error).message}`,
        );
      }
      if (!response.ok) {
        const { status } = response;
        const busy = status >= 500 || status === 429 || status === 408;
        throw new TroupeError(
          busy ? "UpstreamUnavailable" : "UpstreamRejected",
          `watchlist: ${url.host} answered HTTP ${status}`,
        );
      }
      let json: unknown;
      try {
        json = await response.json();
      } catch (error) {
        throw new TroupeError(
          "UpstreamRejected",
          `watchlist: ${url.host} did not answer JSON: ${(error as Error).message}`,
        );
      }
      return pick(rowsOf(json, url.host), symbols);
    },
  };
};

// The watchlist (the stock agent): quotes from a data source, threshold rules turned into signals,
// an optional one-paragraph summary from the model, and alerts on the team's bus when a rule starts
// or stops holding (the system monitor's hysteresis tracker, so a price sitting on a line does not
// alert on every check). The task's text may name symbols ("$AAPL", "MSFT"); else the configured
// ones are checked. The agent is a statechart: checkingRequest → fetching → evaluating → alerting →
// summarizing (when asked) → done, its steps named invoked actors carrying the task's signal.
import {
  type AgentContext,
  type AgentMachineInput,
  defineAgent,
  type EventBus,
  TroupeError,
  taskStep,
} from "@troupe/runtime";
import { assign, setup } from "xstate";
import { defineFormatters, shorten } from "../format/Formatters.ts";
import { AlertTracker, type Observation } from "../system-monitor/AlertTracker.ts";
import type { Quote, Signal, WatchlistResult } from "./Quote.ts";
import type { QuoteSource } from "./QuoteSource.ts";

/** A rule on one symbol: a signal when the price is at/above `above`, at/below `below`, or moved `movePercent`. */
export interface WatchRule {
  readonly symbol: string;
  readonly above?: number;
  readonly below?: number;
  /** Absolute day change, in percent, at or beyond which to signal. */
  readonly movePercent?: number;
  readonly severity?: Signal["severity"];
}

export interface WatchlistOptions {
  readonly source: QuoteSource;
  /** Symbols checked when the task names none (default: the rules' symbols). */
  readonly symbols?: readonly string[];
  readonly rules?: readonly WatchRule[];
  /** Ask the agent's model (role "watchlist") for a short summary; its failure only drops the summary. */
  readonly summarize?: boolean;
  /** Publish `alert.raised` / `alert.resolved` for signals that start or stop holding. */
  readonly bus?: EventBus;
}

const NOT_SYMBOLS = new Set([
  "OK",
  "I",
  "A",
  "US",
  "USD",
  "KRW",
  "EUR",
  "CEO",
  "AI",
  "AND",
  "OR",
  "THE",
  "IS",
]);
const SYMBOL = /(?:^|[\s,(])\$?([A-Z][A-Z0-9]{0,5}(?:\.[A-Z]{1,3})?|\d{6}\.[A-Z]{2})(?=$|[\s,.?!)])/g;

/** Symbols named in a request: `$AAPL`, `MSFT`, `005930.KS` (common capitalised words left out). */
export const symbolsIn = (text: string): string[] => {
  const found: string[] = [];
  for (const match of text.matchAll(SYMBOL)) {
    const symbol = match[1]!;
    if (!NOT_SYMBOLS.has(symbol) && !found.includes(symbol)) found.push(symbol);
  }
  return found;
};

const money = (value: number, currency: string | null) =>
  `${value.toLocaleString("en-US", { maximumFractionDigits: 2 })}${currency ? ` ${currency}` : ""}`;

const signed = (value: number) => `${value > 0 ? "+" : ""}${value.toFixed(2)}`;

const observationsOf = (rules: readonly WatchRule[], quotes: readonly Quote[]) => {
  const out: { observation: Observation; signal: () => Signal }[] = [];
  for (const rule of rules) {
    const quote = quotes.find((q) => q.symbol === rule.symbol.toUpperCase());
    if (!quote) continue;
    const severity = rule.severity ?? "warning";
    const add = (kind: Signal["kind"], level: number, value: number, band: number, text: string) => {
      const signal = (): Signal => ({
        symbol: quote.symbol,
        kind,
        level,
        price: quote.price,
        severity,
        text,
      });
      out.push({
        observation: {
          alertId: `watchlist/${quote.symbol}/${kind}`,
          value,
          band: { high: band, low: band },
          severity,
          describe: () => ({ title: `${quote.symbol} ${kind} ${level}`, text }),
        },
        signal,
      });
    };
    if (rule.above !== undefined)
      add(
        "above",
        rule.above,
        quote.price,
        rule.above,
        `${quote.symbol} at ${money(quote.price, quote.currency)} is at or above ${rule.above}`,
      );
    if (rule.below !== undefined)
      add(
        "below",
        rule.below,
        -quote.price,
        -rule.below,
        `${quote.symbol} at ${money(quote.price, quote.currency)} is at or below ${rule.below}`,
      );
    if (rule.movePercent !== undefined && quote.changePercent !== null)
      add(
        "move",
        rule.movePercent,
        Math.abs(quote.changePercent),
        rule.movePercent,
        `${quote.symbol} moved ${signed(quote.changePercent)}% today (signal at ±${rule.movePercent}%)`,
      );
  }
  return out;
};

/** Chat markdown, plain text and a notification line of a watchlist result. */
export const watchlistFormatters = defineFormatters<WatchlistResult>({
  markdown: (result) => {
    const rows = result.quotes.map(
      (quote) =>
        `| ${quote.symbol} | ${money(quote.price, quote.currency)} | ${quote.change === null ? "—" : `${signed(quote.change)} (${signed(quote.changePercent ?? 0)}%)`} |`,
    );
    return [
      ...(result.summary ? [result.summary, ""] : []),
      "| symbol | price | change |",
      "| --- | ---: | ---: |",
      ...rows,
      ...result.signals.map((signal) => `- ${signal.severity === "critical" ? "🚨" : "⚠"} ${signal.text}`),
      ...(result.missing.length > 0 ? [`_no quote for ${result.missing.join(", ")}_`] : []),
    ].join("\n");
  },
  text: (result) =>
    [
      ...(result.summary ? [result.summary] : []),
      ...result.quotes.map(
        (quote) =>
          `${quote.symbol.padEnd(10)} ${money(quote.price, quote.currency)}${quote.changePercent === null ? "" : ` (${signed(quote.changePercent)}%)`}`,
      ),
      ...result.signals.map((signal) => `! ${signal.text}`),
      ...(result.missing.length > 0 ? [`no quote for ${result.missing.join(", ")}`] : []),
    ].join("\n"),
  notification: (result) =>
    result.signals.length > 0
      ? shorten(result.signals.map((signal) => signal.text).join("; "), 140)
      : shorten(
          result.quotes
            .map(
              (quote) =>
                `${quote.symbol} ${quote.price}${quote.changePercent === null ? "" : ` ${signed(quote.changePercent)}%`}`,
            )
            .join(", ") || "no quotes",
          140,
        ),
});

const summarize = async (ctx: AgentContext, result: WatchlistResult): Promise<string | undefined> => {
  try {
    const reply = await ctx.llm.chat([
      {
        role: "system",
        content:
          "Summarise these stock quotes and signals in two plain sentences. No advice, no invented numbers.",
      },
      { role: "user", content: watchlistFormatters.text(result) },
    ]);
    return reply.content.trim() || undefined;
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    ctx.progress(`no summary: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
};

/** What the run keeps between steps: plain JSON, saved after every step. */
interface WatchlistContext {
  /** The symbols to check: those the task names, else the configured ones. */
  readonly wanted: readonly string[];
  readonly quotes: readonly Quote[];
  readonly result: WatchlistResult | undefined;
  readonly summary: string | undefined;
}

export const createWatchlist = (options: WatchlistOptions) => {
  const rules = options.rules ?? [];
  const configured = options.symbols ?? [...new Set(rules.map((rule) => rule.symbol.toUpperCase()))];
  const tracker = new AlertTracker();

  /** What the rules make of these quotes, with the symbols asked for that have none. */
  const evaluate = (wanted: readonly string[], quotes: readonly Quote[]): WatchlistResult => {
    const have = new Set(quotes.map((quote) => quote.symbol));
    const signals = observationsOf(rules, quotes)
      .filter(({ observation }) => observation.value >= observation.band.high)
      .map(({ signal }) => signal());
    return {
      quotes,
      signals,
      missing: wanted.map((symbol) => symbol.toUpperCase()).filter((symbol) => !have.has(symbol)),
      source: options.source.name,
    };
  };

  /** Publish the alerts whose rules started or stopped holding with these quotes. */
  const alert = (quotes: readonly Quote[]): void => {
    const changes = tracker.observe(observationsOf(rules, quotes).map(({ observation }) => observation));
    for (const raised of changes.raised)
      options.bus?.publish({ type: "alert.raised", source: "watchlist", ...raised });
    for (const alertId of changes.resolved)
      options.bus?.publish({ type: "alert.resolved", source: "watchlist", alertId });
  };

  /** Quotes and signals for these symbols (the configured ones when empty), alerts published. */
  const check = async (symbols: readonly string[], signal?: AbortSignal): Promise<WatchlistResult> => {
    const wanted = symbols.length > 0 ? symbols : configured;
    const result = evaluate(wanted, await options.source.quotes(wanted, signal));
    alert(result.quotes);
    return result;
  };

  const fetchQuotes = taskStep<readonly Quote[], { wanted: readonly string[] }>(
    async ({ input, ctx, signal }) => {
      ctx.progress(`reading quotes from ${options.source.name}`);
      return options.source.quotes(input.wanted, signal);
    },
  );
  const summarizeQuotes = taskStep<string | undefined, WatchlistResult>(({ input, ctx }) =>
    summarize(ctx, input),
  );

  /** checking the request → fetching → evaluating → alerting → summarizing (when asked) → done. */
  const machine = setup({
    types: {} as { input: AgentMachineInput; context: WatchlistContext; output: WatchlistResult },
    actors: { fetchQuotes, summarizeQuotes },
    guards: {
      nothingToCheck: ({ context }) => context.wanted.length === 0,
      wantsSummary: ({ context }) => options.summarize === true && (context.result?.quotes.length ?? 0) > 0,
    },
    actions: {
      refuse: () => {
        throw new TroupeError(
          "InvalidTask",
          "watchlist: name the symbols to check (e.g. $AAPL MSFT), or configure symbols or rules",
        );
      },
      publishAlerts: ({ context }) => alert(context.result!.quotes),
    },
  }).createMachine({
    id: "watchlist",
    context: ({ input }) => {
      const named = symbolsIn(input.task.text);
      return {
        wanted: named.length > 0 ? named : configured,
        quotes: [],
        result: undefined,
        summary: undefined,
      };
    },
    initial: "checkingRequest",
    states: {
      checkingRequest: {
        always: [{ guard: "nothingToCheck", target: "done", actions: "refuse" }, { target: "fetching" }],
      },
      fetching: {
        invoke: {
          src: "fetchQuotes",
          input: ({ context }) => ({ wanted: context.wanted }),
          onDone: { target: "evaluating", actions: assign({ quotes: ({ event }) => event.output }) },
        },
      },
      evaluating: {
        entry: assign({ result: ({ context }) => evaluate(context.wanted, context.quotes) }),
        always: "alerting",
      },
      alerting: {
        entry: "publishAlerts",
        always: [{ guard: "wantsSummary", target: "summarizing" }, { target: "done" }],
      },
      summarizing: {
        invoke: {
          src: "summarizeQuotes",
          input: ({ context }) => context.result!,
          onDone: { target: "done", actions: assign({ summary: ({ event }) => event.output }) },
        },
      },
      done: { type: "final" },
    },
    output: ({ context }) =>
      context.summary === undefined ? context.result! : { ...context.result!, summary: context.summary },
  });

  const agent = defineAgent({
    name: "watchlist",
    description:
      "Stock quotes for a watchlist, threshold signals and alerts, with an optional short summary.",
    capabilities: ["stocks", "quotes", "watchlist"],
    format: watchlistFormatters,
    model: "watchlist",
    machine,
  });
  return Object.assign(agent, { check });
};

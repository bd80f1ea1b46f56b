// The watchlist's values as Effect Schemas: a quote as a data source gives it, a quote with its
// change worked out, a signal (a threshold crossed), and the agent's result, so providers, alerts,
// formatters and other processes all read the same shapes.
import { Schema } from "effect";

/** One row of a data source (CSV, JSON file or HTTP). */
export const QuoteRow = Schema.Struct({
  symbol: Schema.String,
  price: Schema.Number,
  previousClose: Schema.optional(Schema.Number),
  currency: Schema.optional(Schema.String),
  /** When the price was taken, ISO 8601. */
  at: Schema.optional(Schema.String),
});
export type QuoteRow = typeof QuoteRow.Type;

export const Quote = Schema.Struct({
  symbol: Schema.String,
  price: Schema.Number,
  previousClose: Schema.NullOr(Schema.Number),
  /** price − previousClose (null without a previous close). */
  change: Schema.NullOr(Schema.Number),
  /** change as a percentage of previousClose. */
  changePercent: Schema.NullOr(Schema.Number),
  currency: Schema.NullOr(Schema.String),
  at: Schema.NullOr(Schema.String),
});
export type Quote = typeof Quote.Type;

export const Signal = Schema.Struct({
  symbol: Schema.String,
  kind: Schema.Literals(["above", "below", "move"]),
  /** The threshold crossed (a price, or a percentage for `move`). */
  level: Schema.Number,
  price: Schema.Number,
  severity: Schema.Literals(["info", "warning", "critical"]),
  text: Schema.String,
});
export type Signal = typeof Signal.Type;

export const WatchlistResult = Schema.Struct({
  quotes: Schema.Array(Quote),
  signals: Schema.Array(Signal),
  /** Symbols asked for that the source does not have. */
  missing: Schema.Array(Schema.String),
  /** Where the quotes came from. */
  source: Schema.String,
  /** The model's summary, when asked for and the model answered. */
  summary: Schema.optional(Schema.String),
});
export type WatchlistResult = typeof WatchlistResult.Type;

const round = (value: number) => Math.round(value * 100) / 100;

/** A row with its change worked out. */
export const toQuote = (row: QuoteRow): Quote => {
  const previous = row.previousClose ?? null;
  const change = previous === null ? null : round(row.price - previous);
  return {
    symbol: row.symbol.toUpperCase(),
    price: row.price,
    previousClose: previous,
    change,
    changePercent:
      previous === null || previous === 0 ? null : round(((row.price - previous) / previous) * 100),
    currency: row.currency ?? null,
    at: row.at ?? null,
  };
};

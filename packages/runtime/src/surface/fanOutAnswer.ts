// /fanout's two halves that need no team: reading the join a person wrote ("all", "any", "first",
// "quorum:2") and writing the answer — each branch's agent, outcome symbol and text, then the joined
// verdict.
import type { FanOutBranchResult } from "../supervisor/FanOutJoins.ts";
import type { JoinPolicy } from "../supervisor/joinPolicy.ts";
import { statusSymbols, statusText } from "./statusSymbols.ts";

const QUORUM = /^quorum\s*[:(=\s]\s*(\d+)\s*\)?$/i;

/** The join written in /fanout's `join` option (default all), or what to write instead. */
export const parseJoin = (
  written: string | undefined,
  branches: number,
): { readonly join: JoinPolicy } | { readonly error: string } => {
  const text = (written ?? "").trim().toLowerCase();
  if (text === "" || text === "all") return { join: "all" };
  if (text === "any" || text === "first") return { join: text };
  const quorum = QUORUM.exec(text);
  const needed = quorum ? Number(quorum[1]) : Number.NaN;
  if (needed >= 1 && needed <= branches) return { join: { quorum: needed } };
  return {
    error: quorum
      ? `A quorum of ${needed} cannot be met by ${branches} agent${branches === 1 ? "" : "s"}: use quorum:1 to quorum:${branches}.`
      : `Unknown join "${written}": use all, any, first or quorum:<n> (for example quorum:2).`,
  };
};

const symbolOf = (status: FanOutBranchResult["status"]) =>
  status === "succeeded"
    ? statusSymbols.succeeded.symbol
    : status === "failed"
      ? statusSymbols.failed.symbol
      : statusSymbols.cancelled.symbol;

/** Each branch under its agent's name, then the verdict of the join. */
export const fanOutAnswer = (
  result: {
    readonly join: string;
    readonly succeeded: boolean;
    readonly branches: readonly FanOutBranchResult[];
  },
  format: (agent: string, output: unknown) => string,
): string => {
  const branches = result.branches.map((branch) => {
    const body =
      branch.status === "succeeded"
        ? format(branch.agent, branch.output)
        : branch.status === "failed"
          ? (branch.error?.reason ?? "failed")
          : (branch.error?.reason ?? "not needed: the join was decided without it");
    return `**${branch.agent}** ${symbolOf(branch.status)}\n${body}`.trimEnd();
  });
  const won = result.branches.filter((branch) => branch.status === "succeeded").length;
  const verdict = statusText(
    result.succeeded ? "succeeded" : "failed",
    `· join ${result.join}: ${won} of ${result.branches.length} succeeded`,
  );
  return [...branches, verdict].join("\n\n");
};

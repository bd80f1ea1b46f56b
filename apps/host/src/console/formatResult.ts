// A task's output as console text: each agent's structured result through its own text formatter,
// `{ text }` as the text, a string as is, anything else as indented JSON.
import {
  type CodeResult,
  type ConsensusResult,
  codeFormatters,
  consensusFormatters,
  formatReport,
  type OrchestratorResult,
  orchestratorFormatters,
  type ResearchResult,
  researchFormatters,
  type SystemReport,
} from "@troupe/agents";

const formatters: Readonly<Record<string, (output: unknown) => string>> = {
  "system-monitor": (output) => formatReport(output as SystemReport),
  research: (output) => researchFormatters.text(output as ResearchResult),
  code: (output) => codeFormatters.text(output as CodeResult),
  orchestrator: (output) => orchestratorFormatters.text(output as OrchestratorResult),
  consensus: (output) => consensusFormatters.text(output as ConsensusResult),
};

export const formatResult = (agent: string, output: unknown): string => {
  const formatter = formatters[agent];
  if (formatter) return formatter(output);
  if (typeof output === "string") return output;
  if (output === undefined || output === null) return "";
  if (typeof output === "object" && typeof (output as { text?: unknown }).text === "string")
    return (output as { text: string }).text;
  return JSON.stringify(output, null, 2) ?? String(output);
};

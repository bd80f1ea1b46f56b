// The help text of `troupe models`: what it shows, the pull option, and the variables it reads.
import { DEFAULT_EMBED_MODEL, ROLE_MODELS } from "@troupe/runtime/llm";

const roles = Object.entries(ROLE_MODELS)
  .map(([role, model]) => `  ${`MODEL_${role.toUpperCase()}`.padEnd(20)}${model}`)
  .join("\n");

export const modelsUsage = `troupe models: which model each agent role uses, and whether Ollama has it.

Usage:
  troupe models [--pull]

Lists every role, the model it resolves to and from which variable, and whether Ollama has that
model (GET /api/tags), then the embedding model of semantic memory (role "embed"). For each missing
model it prints the \`ollama pull\` command to run.

Options:
  --pull      Pull the missing models through Ollama's API, with progress on stderr
  -h, --help  Show this help and exit

Environment:
  OLLAMA_HOST         Where Ollama listens (default http://127.0.0.1:11434)
  MODEL_<ROLE>        The model of one role; the defaults:
${roles}
  MODEL_DEFAULT       The model of every role without its own MODEL_<ROLE>
  MODEL_EMBED         The embedding model of semantic memory (default ${DEFAULT_EMBED_MODEL};
                      MODEL_DEFAULT does not apply to it)
  Any other MODEL_<NAME> adds the role <name> to the list.

Exit codes:
  0 listed (or everything pulled), 1 Ollama unreachable or a pull failed, 2 bad command line or
  environment.
`;

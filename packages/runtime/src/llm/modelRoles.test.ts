// Which model serves which role, and where Ollama is: MODEL_<ROLE> over MODEL_DEFAULT over the
// built-in default, OLLAMA_HOST in the forms the ollama CLI accepts, and a bad value named.
import { describe, expect, it } from "vitest";
import {
  DEFAULT_OLLAMA_HOST,
  modelVariable,
  ROLE_MODELS,
  resolveModel,
  resolveModels,
  resolveOllamaHost,
} from "./modelRoles.ts";

describe("resolveModels", () => {
  it("gives every built-in role its default when nothing is set", () => {
    expect(resolveModels({})).toEqual(
      Object.entries(ROLE_MODELS).map(([role, model]) => ({
        role,
        model,
        variable: modelVariable(role),
        source: "default",
      })),
    );
    expect(resolveModel("code", {}).model).toBe("qwen2.5-coder:7b");
    expect(resolveModel("scheduler", {}).model).toBe("llama3.2:3b");
  });

  it("takes MODEL_<ROLE> first, then MODEL_DEFAULT, and lists extra roles given a variable", () => {
    const env = {
      MODEL_CODE: " deepseek-coder:6.7b ",
      MODEL_DEFAULT: "llama3.2:3b",
      MODEL_SUMMARIZER: "phi3:mini",
      MODEL_TIMEOUT: "2m",
      MODEL_TIMEOUT_CODE: "30s",
    };
    const table = resolveModels(env);
    expect(table.find((row) => row.role === "code")).toMatchObject({
      model: "deepseek-coder:6.7b",
      source: "MODEL_CODE",
    });
    expect(table.find((row) => row.role === "research")).toMatchObject({
      model: "llama3.2:3b",
      source: "MODEL_DEFAULT",
    });
    expect(table.at(-1)).toEqual({
      role: "summarizer",
      model: "phi3:mini",
      variable: "MODEL_SUMMARIZER",
      source: "MODEL_SUMMARIZER",
    });
    expect(resolveModel("system-monitor", { MODEL_SYSTEM_MONITOR: "x:1b" })).toMatchObject({
      model: "x:1b",
      variable: "MODEL_SYSTEM_MONITOR",
    });
  });

  it("ignores an empty variable and refuses a malformed one, naming it", () => {
    expect(resolveModel("code", { MODEL_CODE: "" }).source).toBe("default");
    expect(() => resolveModel("code", { MODEL_CODE: "qwen 7b" })).toThrow(
      'MODEL_CODE must be an Ollama model name such as "qwen3:8b", got "qwen 7b"',
    );
    expect(() => resolveModel("Bad Role", {})).toThrow(/a model role is lower-case letters/);
  });
});

describe("resolveOllamaHost", () => {
  it("defaults to 127.0.0.1:11434 and reads OLLAMA_HOST like the ollama CLI", () => {
    expect(resolveOllamaHost({})).toEqual({ url: DEFAULT_OLLAMA_HOST, source: "default" });
    const url = (value: string) => resolveOllamaHost({ OLLAMA_HOST: value }).url;
    expect(url("127.0.0.1")).toBe("http://127.0.0.1:11434");
    expect(url("127.0.0.1:8080")).toBe("http://127.0.0.1:8080");
    expect(url(":9000")).toBe("http://127.0.0.1:9000");
    expect(url("http://gpu-box:11434/")).toBe("http://gpu-box:11434");
    expect(url("https://ollama.internal")).toBe("https://ollama.internal:443");
    expect(resolveOllamaHost({ OLLAMA_HOST: "127.0.0.1" }).source).toBe("OLLAMA_HOST");
  });

  it("refuses what is not an address", () => {
    expect(() => resolveOllamaHost({ OLLAMA_HOST: "ftp://x" })).toThrow("OLLAMA_HOST must use http or https");
    expect(() => resolveOllamaHost({ OLLAMA_HOST: "http://" })).toThrow(/OLLAMA_HOST must be an address/);
  });
});

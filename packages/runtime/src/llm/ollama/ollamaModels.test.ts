// Listing and pulling models through the real `ollama` client against the stand-in: progress as it
// streams, the model listed afterwards, and clear errors for a wrong name or an absent server.
import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type OllamaStandIn, startOllamaStandIn } from "../../../../../test/harness/ollamaStandIn.ts";
import { listOllamaModels, type PullProgress, pullOllamaModel, sameModel } from "./ollamaModels.ts";

let standIn: OllamaStandIn | undefined;
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

describe("listOllamaModels / pullOllamaModel", () => {
  it("lists the server's models", async () => {
    standIn = await startOllamaStandIn({ models: ["qwen3:8b", "nomic-embed-text"] });
    const models = await listOllamaModels(standIn.url);
    expect(models.map((model) => model.name)).toEqual(["qwen3:8b", "nomic-embed-text:latest"]);
    expect(sameModel("nomic-embed-text", models[1]!.name)).toBe(true);
    expect(sameModel("qwen3", "qwen3:8b")).toBe(false);
  });

  it("pulls a model, reporting progress, after which it is listed", async () => {
    standIn = await startOllamaStandIn({ models: [] });
    const progress: PullProgress[] = [];
    await pullOllamaModel(standIn.url, "llama3.2:3b", { onProgress: (step) => progress.push(step) });
    expect(progress[0]).toEqual({ model: "llama3.2:3b", status: "pulling manifest" });
    expect(progress.filter((step) => step.total === 4_000).map((step) => step.completed)).toEqual([
      0, 1_000, 2_000, 3_000, 4_000,
    ]);
    expect(progress.at(-1)?.status).toBe("success");
    expect((await listOllamaModels(standIn.url)).map((model) => model.name)).toEqual(["llama3.2:3b"]);
  });

  it("fails with ModelNotFound for a name the library does not have", async () => {
    standIn = await startOllamaStandIn({ models: [], pullable: () => false });
    await expect(pullOllamaModel(standIn.url, "qwen9:1t")).rejects.toMatchObject({
      _tag: "ModelNotFound",
      reason:
        'Ollama cannot pull "qwen9:1t" (pull model manifest: file does not exist): check the model\'s name',
    });
  });

  it("names OLLAMA_HOST when the server is not there", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const host = `http://127.0.0.1:${port}`;
    await expect(listOllamaModels(host)).rejects.toMatchObject({
      _tag: "ModelUnavailable",
      reason: `cannot reach Ollama at ${host} (connection refused): start it with \`ollama serve\`, or set OLLAMA_HOST to where it listens`,
    });
    await expect(pullOllamaModel(host, "x:1b")).rejects.toMatchObject({ _tag: "ModelUnavailable" });
  });

  it("fails with ModelTimeout when a pull stalls", async () => {
    standIn = await startOllamaStandIn({ models: [], tokenDelayMs: 10_000 });
    await expect(
      pullOllamaModel(standIn.url, "llama3.2:3b", { stallDeadline: "50ms" }),
    ).rejects.toMatchObject({
      _tag: "ModelTimeout",
      reason: expect.stringContaining("made no progress for 50ms"),
    });
  });
});

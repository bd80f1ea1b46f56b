// What a task's thread gets once the queue has its outcome: the reply under the agent's name (split,
// or a file when long), a failure or a cancellation with its reason, metadata only in privacy mode;
// under the last post, the command that replays the task offline when it was recorded.
import { describe, expect, it } from "vitest";
import { readableOutput } from "../agent/OutputFormat.ts";
import { outcomePosts } from "./outcomePosts.ts";

const options = {
  privacy: false,
  format: (_agent: string, output: unknown) => readableOutput(output, "markdown"),
  maxChars: 2_000,
  identityOf: (agent: string) => ({ name: agent }),
};
const task = { id: "t-1", agent: "echo" };

describe("outcomePosts", () => {
  it("posts a reply under the agent's identity, split when long and a file beyond the chunks", () => {
    expect(
      outcomePosts(
        task,
        { taskId: "t-1", status: "succeeded", attempts: 1, output: { text: "hi" } },
        options,
      ),
    ).toEqual({
      state: "succeeded",
      posts: [{ content: "hi", identity: { name: "echo" } }],
    });
    const long = Array.from({ length: 120 }, (_, line) => `line ${line} of a long reply`).join("\n");
    const split = outcomePosts(
      task,
      { taskId: "t-1", status: "succeeded", attempts: 1, output: long },
      options,
    );
    expect(split.posts.length).toBeGreaterThan(1);
    expect(split.posts.every((post) => post.content.length <= 2_000)).toBe(true);
    const filed = outcomePosts(
      task,
      { taskId: "t-1", status: "succeeded", attempts: 1, output: long.repeat(5) },
      { ...options, maxChunks: 2 },
    );
    expect(filed.posts.at(-1)?.files?.[0]?.name).toBe("reply.md");
  });

  it("says why a task was cancelled or failed, and only 'cancelled' when no reason was kept", () => {
    const cancelled = { taskId: "t-1", status: "cancelled", attempts: 1 } as const;
    expect(
      outcomePosts(task, { ...cancelled, error: { tag: "Cancelled", reason: "by ana" } }, options).posts,
    ).toEqual([{ content: "🚫 cancelled: by ana" }]);
    expect(outcomePosts(task, cancelled, options).posts).toEqual([{ content: "🚫 cancelled" }]);
    const dead = {
      taskId: "t-1",
      status: "dead",
      attempts: 3,
      error: { tag: "Hung", reason: "silent" },
    } as const;
    expect(outcomePosts(task, dead, options)).toEqual({
      state: "failed",
      posts: [{ content: "❌ failed: silent" }],
    });
  });

  it("posts metadata only in privacy mode", () => {
    const privately = { ...options, privacy: true };
    expect(
      outcomePosts(
        task,
        { taskId: "t-1", status: "succeeded", attempts: 1, output: { text: "SECRET" } },
        privately,
      ).posts,
    ).toEqual([{ content: "✅ done · task t-1 · echo · reply of 6 characters kept local" }]);
    expect(outcomePosts(task, { taskId: "t-1", status: "dead", attempts: 3 }, privately).posts).toEqual([
      { content: "❌ failed · task t-1 · echo · after 3 attempts" },
    ]);
  });

  it("offers the replay command under the last post only, as a footer outside the reply's text", () => {
    const replayCommand = "troupe replay /data/traces/trace-20261207T134500Z.jsonl --task t-1";
    const footer = { footer: { text: `replay offline: ${replayCommand}` } };
    const long = Array.from({ length: 120 }, (_, line) => `line ${line} of a long reply`).join("\n");
    const { posts } = outcomePosts(
      task,
      { taskId: "t-1", status: "succeeded", attempts: 1, output: long },
      { ...options, replayCommand },
    );
    expect(posts.map((post) => post.embeds)).toEqual([...posts.slice(1).map(() => undefined), [footer]]);
    expect(posts.map((post) => post.content).join("\n")).not.toContain("troupe replay");
    expect(
      outcomePosts(task, { taskId: "t-1", status: "dead", attempts: 3 }, { ...options, replayCommand }).posts,
    ).toEqual([{ content: "❌ failed: the task failed", embeds: [footer] }]);
    expect(
      outcomePosts(
        task,
        { taskId: "t-1", status: "dead", attempts: 3 },
        { ...options, replayCommand: undefined },
      ).posts[0]?.embeds,
    ).toBeUndefined();
  });
});

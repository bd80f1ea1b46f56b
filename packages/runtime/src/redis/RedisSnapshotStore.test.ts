// Saved actor state on Redis keeps the SnapshotStore contract (127.0.0.1:6379, a namespace of its own
// per test, its key deleted afterwards), and a machine agent's run saved by one team is resumed by
// another through Redis.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { setup } from "xstate";
import type { AgentMachineInput } from "../agent/AgentContext.ts";
import { defineAgent } from "../agent/defineAgent.ts";
import { describeSnapshotStoreContract } from "../durable/snapshotStore.contract.ts";
import { createTestTeam, flush } from "../testing/index.ts";
import { RedisSnapshotStore } from "./RedisSnapshotStore.ts";

describeSnapshotStoreContract("RedisSnapshotStore", async () => {
  const client = new Redis("redis://127.0.0.1:6379");
  const space = `test-${randomUUID()}`;
  const open = async () => new RedisSnapshotStore({ redis: client, namespace: space });
  return {
    store: await open(),
    reopen: open,
    cleanup: async () => {
      await client.del(`troupe:${space}:snapshots`);
      await client.quit();
    },
  };
});

let redis: Redis;
let namespace: string;
beforeEach(() => {
  redis = new Redis("redis://127.0.0.1:6379");
  namespace = `test-${randomUUID()}`;
});
afterEach(async () => {
  await redis.del(`troupe:${namespace}:snapshots`);
  await redis.quit();
});

describe("RedisSnapshotStore", () => {
  it("resumes a machine agent's run saved by another team", async () => {
    const approval = defineAgent({
      name: "approval",
      machine: setup({
        types: {} as { input: AgentMachineInput; context: { what: string }; events: { type: "APPROVE" } },
      }).createMachine({
        context: ({ input }) => ({ what: input.task.text }),
        initial: "waiting",
        states: { waiting: { on: { APPROVE: "approved" } }, approved: { type: "final" } },
        output: ({ context }) => `approved ${context.what}`,
      }),
    });
    const snapshots = new RedisSnapshotStore({ redis, namespace });
    const first = createTestTeam({ agents: [approval], snapshots });
    first.team.submit({ id: "t-9", agent: "approval", text: "deploy" });
    await first.next("task.started");
    while ((await snapshots.load("t-9")) === undefined) await flush();
    first.team.stop();

    const second = createTestTeam({ agents: [approval], snapshots });
    const run = second.team.submit(
      { id: "t-9", agent: "approval", text: "deploy" },
      { snapshot: await snapshots.load("t-9") },
    );
    await second.next("task.started");
    second.team.send(run.id, { type: "APPROVE" });
    await expect(run.result).resolves.toBe("approved deploy");
    second.team.stop();
  });
});

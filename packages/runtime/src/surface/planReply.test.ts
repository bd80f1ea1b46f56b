// Short replies as they are, longer ones as a few chunks, long ones as a file with a note.
import { describe, expect, it } from "vitest";
import { planReply } from "./planReply.ts";

describe("planReply", () => {
  it("posts a 3,000-character reply as two chunks", () => {
    const text = Array.from({ length: 60 }, (_, i) => `${i}`.padEnd(49, "x")).join("\n");
    const plan = planReply(text);
    expect(plan.messages).toHaveLength(2);
    expect(plan.file).toBeUndefined();
  });

  it("attaches a 20,000-character reply as a file", () => {
    const text = "y".repeat(20_000);
    const plan = planReply(text);
    expect(plan.messages).toEqual([
      "The reply is 20,000 characters long (10 messages): attached as reply.md.",
    ]);
    expect(new TextDecoder().decode(plan.file!.data)).toBe(text);
  });

  it("posts nothing for an empty reply", () => {
    expect(planReply("  \n").messages).toEqual([]);
  });
});

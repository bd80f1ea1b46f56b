// The replaying side: a task's model, human gateway, memory, clock readings and random ids that
// answer from the recording instead of the world (a replay needs no memory store, and runs on
// another day with the same readings). Each call is matched to the recorded call of the same port and number within the same
// (recorded) task; a request that differs from the recorded one, or a call the recording does not
// have, is the point where the recorded I/O stops matching: it is reported as a divergence and the
// call fails, so the run ends there.
import { TroupeError, type TroupeErrorTag } from "../../errors/TroupeError.ts";
import type { Llm } from "../../llm/Llm.ts";
import type { TaskMemory } from "../../memory/TaskMemory.ts";
import type { HumanGateway } from "../../supervisor/HumanGateway.ts";
import type { Task } from "../../task/Task.ts";
import type { TraceRecordOf } from "../TraceRecord.ts";
import type { Json } from "../toJsonSafe.ts";
import { IoCounters, type IoPort, memoryRequest, modelRequest } from "./recordTaskIo.ts";

type IoRecord = TraceRecordOf<"io">;

/** What `answer` gives when the call goes to the real port. */
const LIVE = Symbol("live");

/** Where a replay stopped matching its recording. */
export interface Divergence {
  /** The recorded task (the root task being replayed, or one of its subtasks). */
  readonly taskId: string;
  /** The agent (or "supervisor" for what no agent did). */
  readonly actor: string;
  /** Position in the actor's sequence of events, or the number of the model/tool/human call. */
  readonly seq: number;
  /** The trace record that was expected, when there was one. */
  readonly traceSeq: number | null;
  /** What differed: "event", "llm", "tool", "human", "task" or "outcome". */
  readonly what: string;
  readonly expected: Json | null;
  readonly got: Json | null;
}

/** The first call of a fork that went to the real port. */
export interface ForkPoint {
  readonly taskId: string;
  readonly port: IoPort;
  readonly call: number;
}

/** What replaying ports share: the recording, the id mapping, and the first divergence seen. */
export interface ReplayState {
  /** The io records of each recorded task (its last attempt), in order. */
  readonly io: ReadonlyMap<string, readonly IoRecord[]>;
  /** The recorded id of a task of this replay. */
  recordedId(taskId: string): string;
  /** Bring a request to its recorded form (redacted and cut the same way). */
  normalize(value: unknown, key: string): Json;
  /** Note a divergence (only the first one is kept). */
  diverged(divergence: Divergence): void;
  /**
   * Fork: recorded calls up to this trace seq are replayed; from the first call past it (or the
   * first that is not the recorded one) every call goes to the real port.
   */
  readonly liveAfter?: number;
  /** Called once, when the first call goes live. */
  forked?(at: ForkPoint): void;
}

/** The error a recorded call failed with, made again: the same tag, reason and data. */
const failureOf = (error: Json | undefined): Error => {
  const { tag, reason, message, data } = (typeof error === "object" && error !== null ? error : {}) as Record<
    string,
    unknown
  >;
  return typeof tag === "string"
    ? new TroupeError(tag as TroupeErrorTag, String(reason ?? message ?? tag), {
        ...(typeof data === "object" && data !== null ? { data: data as Record<string, unknown> } : {}),
      })
    : new Error(String(message ?? "recorded failure"));
};

/** The replaying ports of one replay. */
export const replayingPorts = (state: ReplayState) => {
  const counters = new IoCounters();
  let live = false;
  /** The recorded reply, or LIVE when the call goes to the real port (a fork past its point). */
  const answer = async (
    task: Task,
    agent: string,
    port: IoPort,
    request: unknown,
    onToken?: (token: string) => void,
  ): Promise<unknown> => answerNow(task, agent, port, request, onToken);
  const answerNow = (
    task: Task,
    agent: string,
    port: IoPort,
    request: unknown,
    onToken?: (token: string) => void,
  ): unknown => {
    const taskId = state.recordedId(task.id);
    const n = counters.next(taskId, port);
    const recorded = state.io.get(taskId)?.find((io) => io.port === port && io.call === n);
    const got = state.normalize(request, "request");
    const matches = recorded !== undefined && JSON.stringify(recorded.request) === JSON.stringify(got);
    if (state.liveAfter !== undefined && (live || !matches || recorded.seq > state.liveAfter)) {
      if (!live) state.forked?.({ taskId, port, call: n });
      live = true;
      return LIVE;
    }
    if (!matches) {
      state.diverged({
        taskId,
        actor: agent,
        seq: n,
        traceSeq: recorded?.seq ?? null,
        what: port,
        expected: recorded?.request ?? null,
        got,
      });
      throw new TroupeError(
        "ModelBadResponse",
        `replay: ${port} call ${n} of task ${taskId} is not the recorded one; the recorded I/O stops matching here`,
      );
    }
    for (const token of recorded!.tokens ?? []) onToken?.(token);
    if (recorded!.error !== undefined) throw failureOf(recorded!.error);
    return recorded!.reply;
  };

  const llm = (base: Llm, { task, agent }: { task: Task; agent: string }): Llm => ({
    model: base.model,
    role: base.role,
    contextTokens: base.contextTokens,
    chat: async (messages, options) => {
      const reply = await answer(
        task,
        agent,
        "llm",
        modelRequest("chat", messages, options),
        options?.onToken,
      );
      return reply === LIVE ? base.chat(messages, options) : (reply as never);
    },
    chatStructured: async (messages, schema, options) => {
      const reply = await answer(
        task,
        agent,
        "llm",
        modelRequest("chatStructured", messages, options),
        options?.onToken,
      );
      return reply === LIVE ? base.chatStructured(messages, schema, options) : (reply as never);
    },
    runTools: async (messages, tools, options) => {
      const reply = await answer(
        task,
        agent,
        "llm",
        modelRequest("runTools", messages, options, { tools }),
        options?.onToken,
      );
      if (reply === LIVE) return base.runTools(messages, tools, options);
      const run = reply as { calls?: readonly { outcome: string; result: string }[] };
      // No tool runs again: the recorded run carries each call's arguments and result.
      for (const call of run.calls ?? [])
        options?.onToolCall?.(call as Parameters<NonNullable<typeof options.onToolCall>>[0]);
      return run as never;
    },
  });

  const noPerson = (): never => {
    throw new TroupeError("InvalidTask", "replay: the fork went live and nobody is there to answer");
  };
  const human: HumanGateway = {
    ask: async (question, { task, agent }) => {
      const reply = await answer(task, agent, "human", { method: "ask", question });
      return reply === LIVE ? noPerson() : String(reply);
    },
    approve: async (request, { task, agent }) => {
      const reply = await answer(task, agent, "human", { method: "approve", request });
      return reply === LIVE ? noPerson() : (reply as never);
    },
    poll: async (request, { task, agent }) => {
      const reply = await answer(task, agent, "human", { method: "poll", request });
      return reply === LIVE ? noPerson() : (reply as never);
    },
  };

  /** A clock reading or a random id: the recorded one (or, past a fork's point, a fresh one). */
  const reading =
    <T>(port: "clock" | "random") =>
    (make: () => T, { task, agent }: { task: Task; agent: string }): T => {
      const reply = answerNow(task, agent, port, null);
      return reply === LIVE ? make() : (reply as T);
    };

  const memory = (base: TaskMemory, { task, agent }: { task: Task; agent: string }): TaskMemory => {
    const replayed = async <T>(request: unknown, live: () => Promise<T>): Promise<T> => {
      const reply = await answer(task, agent, "memory", request);
      return reply === LIVE ? live() : (reply as T);
    };
    return {
      thread: base.thread,
      history: (limit) => replayed(memoryRequest("history", { limit }), () => base.history(limit)),
      append: (message) => replayed(memoryRequest("append", { message }), () => base.append(message)),
      recall: (query, options) =>
        replayed(memoryRequest("recall", { query, options }), () => base.recall(query, options)),
      remember: (text, metadata) =>
        replayed(memoryRequest("remember", { text, metadata }), () => base.remember(text, metadata)),
    };
  };

  return { llm, human, memory, now: reading<number>("clock"), randomId: reading<string>("random") };
};

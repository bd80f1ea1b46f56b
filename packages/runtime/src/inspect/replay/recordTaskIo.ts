// The recording side of replay: one wrapper per port a task reaches the world through — its model
// (`ctx.llm`, with the tools it lets the model run), the human gateway (answers, approvals, votes),
// its memory (`ctx.memory`), its clock readings and random ids (`ctx.now()`, `ctx.randomId()`) —
// plus the task as accepted (with the saved snapshot a run resumed after a crash starts from) and its outcome, each written to the Inspector as an `io` record. What
// the wrappers pass on is exactly what they got: recording never changes a run.
import type { ChatMessage, ChatOptions, Llm, LlmTool } from "../../llm/Llm.ts";
import type { TaskMemory } from "../../memory/TaskMemory.ts";
import type { HumanGateway } from "../../supervisor/HumanGateway.ts";
import type { TaskIo } from "../../supervisor/TaskIo.ts";
import type { Task } from "../../task/Task.ts";
import type { Inspector } from "../Inspector.ts";
import type { TraceRecordOf } from "../TraceRecord.ts";

export type IoPort = TraceRecordOf<"io">["port"];

/** What a model call's request is recorded as (and compared as on replay). */
export const modelRequest = (
  method: "chat" | "chatStructured" | "runTools",
  messages: readonly ChatMessage[],
  options: (ChatOptions & { readonly maxSteps?: number; readonly allow?: readonly string[] }) | undefined,
  extra: { readonly tools?: readonly LlmTool[]; readonly schema?: unknown } = {},
): unknown => ({
  method,
  messages,
  ...(options?.format !== undefined ? { format: options.format } : {}),
  ...(options?.temperature !== undefined ? { temperature: options.temperature } : {}),
  ...(options?.tools ? { tools: options.tools.map((tool) => tool.name) } : {}),
  ...(extra.tools ? { tools: extra.tools.map((tool) => tool.name) } : {}),
  ...(options?.allow ? { allow: options.allow } : {}),
});

/** What a memory call is recorded as (and compared as on replay): its method and its arguments. */
export const memoryRequest = (
  method: keyof Omit<TaskMemory, "thread">,
  args: Record<string, unknown>,
): unknown => ({
  method,
  ...Object.fromEntries(Object.entries(args).filter(([, value]) => value !== undefined)),
});

/** The n-th call of each port of each task, from 1. */
export class IoCounters {
  /** Per task, the calls of each port so far. */
  readonly #counts = new Map<string, Map<IoPort, number>>();

  next(taskId: string, port: IoPort): number {
    let ports = this.#counts.get(taskId);
    if (ports === undefined) {
      ports = new Map();
      this.#counts.set(taskId, ports);
    }
    const n = (ports.get(port) ?? 0) + 1;
    ports.set(port, n);
    return n;
  }

  forget(taskId: string): void {
    this.#counts.delete(taskId);
  }
}

export interface TaskIoRecorder {
  /** Pass as `createSupervisor({ io })`. */
  readonly io: TaskIo;
  /** The team's human gateway, recording every answer, approval and vote. */
  human(gateway: HumanGateway): HumanGateway;
}

/** Record every task's input, model calls, tool runs, human answers and outcome on `inspector`. */
export const recordTaskIo = (inspector: Inspector): TaskIoRecorder => {
  const counters = new IoCounters();
  const recorded = async <T>(
    task: Task,
    agent: string,
    port: IoPort,
    request: unknown,
    call: (tokens: string[]) => Promise<T>,
  ): Promise<T> => {
    const n = counters.next(task.id, port);
    const tokens: string[] = [];
    try {
      const reply = await call(tokens);
      inspector.recordIo({
        taskId: task.id,
        agent,
        port,
        call: n,
        request,
        reply,
        ...(tokens.length > 0 ? { tokens } : {}),
      });
      return reply;
    } catch (error) {
      inspector.recordIo({ taskId: task.id, agent, port, call: n, request, error });
      throw error;
    }
  };
  const streamed = <O extends ChatOptions>(options: O | undefined, tokens: string[]): O =>
    ({
      ...(options as O),
      onToken: (token: string) => {
        tokens.push(token);
        options?.onToken?.(token);
      },
    }) as O;
  const recordedTools = (task: Task, agent: string, tools: readonly LlmTool[]): LlmTool[] =>
    tools.map((tool) => ({
      ...tool,
      run: (args: unknown, signal: AbortSignal) =>
        recorded(task, agent, "tool", { name: tool.name, arguments: args }, async () =>
          tool.run(args as never, signal),
        ),
    }));

  const llm = (base: Llm, { task, agent }: { task: Task; agent: string }): Llm => ({
    model: base.model,
    role: base.role,
    contextTokens: base.contextTokens,
    chat: (messages, options) =>
      recorded(task, agent, "llm", modelRequest("chat", messages, options), (tokens) =>
        base.chat(messages, streamed(options, tokens)),
      ),
    chatStructured: (messages, schema, options) =>
      recorded(task, agent, "llm", modelRequest("chatStructured", messages, options), (tokens) =>
        base.chatStructured(messages, schema, streamed(options, tokens)),
      ),
    runTools: (messages, tools, options) =>
      recorded(task, agent, "llm", modelRequest("runTools", messages, options, { tools }), (tokens) =>
        base.runTools(messages, recordedTools(task, agent, tools), streamed(options, tokens)),
      ),
  });

  /** A reading made at once (a clock, a random id): recorded as the reply of a call without a request. */
  const reading =
    <T>(port: "clock" | "random") =>
    (make: () => T, { task, agent }: { task: Task; agent: string }): T => {
      const value = make();
      inspector.recordIo({
        taskId: task.id,
        agent,
        port,
        call: counters.next(task.id, port),
        request: null,
        reply: value,
      });
      return value;
    };

  const memory = (base: TaskMemory, { task, agent }: { task: Task; agent: string }): TaskMemory => ({
    thread: base.thread,
    history: (limit) =>
      recorded(task, agent, "memory", memoryRequest("history", { limit }), () => base.history(limit)),
    append: (message) =>
      recorded(task, agent, "memory", memoryRequest("append", { message }), () => base.append(message)),
    recall: (query, options) =>
      recorded(task, agent, "memory", memoryRequest("recall", { query, options }), () =>
        base.recall(query, options),
      ),
    remember: (text, metadata) =>
      recorded(task, agent, "memory", memoryRequest("remember", { text, metadata }), () =>
        base.remember(text, metadata),
      ),
  });

  const io: TaskIo = {
    accepted(task, agent, team, resumed) {
      // Each run of a task (a retry, a run resumed after a restart) numbers its calls from 1, as a
      // replay of that run reads them; a run before it may have ended without an outcome. The task
      // is its run's only `task` call: no counter is made for it.
      counters.forget(task.id);
      inspector.recordIo({
        taskId: task.id,
        port: "task",
        call: 1,
        request: {
          task,
          agent: agent ?? null,
          team: team.agents,
          ...(resumed ? { snapshot: resumed.snapshot } : {}),
        },
      });
    },
    llm,
    now: reading<number>("clock"),
    randomId: reading<string>("random"),
    memory,
    settled(task, agent, outcome) {
      inspector.recordIo({ taskId: task.id, agent, port: "outcome", call: 1, request: null, reply: outcome });
      counters.forget(task.id);
    },
  };

  const human = (gateway: HumanGateway): HumanGateway => ({
    ask: (question, context) =>
      recorded(context.task, context.agent, "human", { method: "ask", question }, () =>
        gateway.ask(question, context),
      ),
    ...(gateway.approve
      ? {
          approve: (request, context) =>
            recorded(context.task, context.agent, "human", { method: "approve", request }, () =>
              gateway.approve!(request, context),
            ),
        }
      : {}),
    ...(gateway.poll
      ? {
          poll: (request, context) =>
            recorded(context.task, context.agent, "human", { method: "poll", request }, () =>
              gateway.poll!(request, context),
            ),
        }
      : {}),
  });

  return { io, human };
};

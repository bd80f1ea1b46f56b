// The Inspector: one ordered stream of trace records made of XState's inspection events (actors,
// events, snapshots, microsteps of the supervisor and every agent), the graph of every machine
// (walked once per distinct graph), the runtime events of the bus, the team's supervision status,
// model calls and human approvals. It keeps the latest records in a bounded ring, writes a
// checkpoint (every live actor's latest state) every N records so a reader can start there, hands
// each record to subscribers as it happens (the trace writer, the visualizer), and never throws
// into the actors it watches.
import type { AnyActorRef, InspectionEvent } from "xstate";
import type { RuntimeEvent } from "../events/catalogue.ts";
import type { EventBus } from "../events/EventBus.ts";
import type { TeamStatus } from "../supervisor/SupervisorCore.ts";
import type { LazyChild } from "../supervisor/Team.ts";
import { machineGraphHash, walkMachine } from "./graph/walkMachine.ts";
import { redactTraceValue } from "./redactTraceValue.ts";
import {
  type CheckpointActor,
  type TeamStatusFields,
  TRACE_FORMAT_VERSION,
  type TraceRecord,
  type TraceRecordOf,
} from "./TraceRecord.ts";
import { type Json, type Redact, toJsonSafe } from "./toJsonSafe.ts";
import {
  assignEntry,
  expandPackLine,
  hostStepEntry,
  isPackLine,
  PLAIN_HOST_STEPS,
  packEntry,
  packLine,
  RUNTIME_SHAPES,
  SIGNAL_TAG,
  settledEntry,
} from "./tracePack.ts";

export interface InspectorOptions {
  /** Rewrite a value before it is recorded (hide secrets); `path` is its JSON path in the record. */
  readonly redact?: Redact;
  /** About how large one recorded value (an event, a context, an output) may get (default 16 KiB). */
  readonly maxValueBytes?: number;
  /** How many records `records()` keeps, oldest dropped first (default 10,000). */
  readonly capacity?: number;
  /**
   * Write each microstep as its own record (default false: the transitions a macrostep took go on
   * the snapshot that ends it, as its `transitions`, which is what the visualizer flashes).
   */
  readonly microsteps?: boolean;
  /**
   * Record actors that are not state machines (the promises a machine agent invokes, callbacks): their
   * actor records, the events sent to them and their snapshots (default false: the machine that
   * invoked one records its outcome as the done or error event it receives).
   */
  readonly nonMachineActors?: boolean;
  /** Write a checkpoint record after this many records (default 1,000; 0 for never). */
  readonly checkpointEvery?: number;
  /** Least time between two supervision records of one team (default 200 ms of wall time). */
  readonly supervisionEveryMs?: number;
  /**
   * About how large one value of an `io` record (a request, a reply) may get (default 256 KiB): a
   * replay needs them whole, so they get more room than the other records' values.
   */
  readonly maxIoBytes?: number;
  /** Where `at` comes from (default wall time). */
  readonly clock?: { now(): number };
}

/** Gets each record and its own JSONL line (without the newline), made once for every reader. */
export type TraceListener = (record: TraceRecord, line: string) => void;

/** Gets each JSONL line (without the newline) as a trace file holds it: a pack line or a record's. */
export type LineListener = (line: string) => void;

/**
 * How many records a pack line holds at most. Its entries live until the line is made, so a large
 * pack keeps many young objects alive across the collector's scavenges: 64 cost less CPU a task
 * than 512 (a no-op task recorded: 32–36 µs against 38–42, two runs each on a loaded machine), for
 * 12 more bytes a task of line headers.
 */
const PACK_MAX = 64;

/**
 * Call a subscriber; like the EventBus, one that throws is reported (thrown again in a microtask),
 * never breaks the actors or the other subscribers.
 */
const safely = <A extends unknown[]>(listener: (...args: A) => void, ...args: A): void => {
  try {
    listener(...args);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
};

/** What `attachTeam` reads: a running team (`createSupervisor`'s Team fits). */
export interface InspectableTeam {
  readonly actor: AnyActorRef;
  readonly bus: EventBus;
  status(): TeamStatus;
  /** The supervisor's children that start when they first have to move (its agents' breakers). */
  lazyChildren?(): readonly LazyChild[];
}

/** A model call, as an LLM adapter reports it. */
export interface LlmCallInput {
  readonly actor?: string | null;
  readonly taskId?: string | null;
  readonly agent?: string | null;
  readonly model: string;
  readonly promptTokens?: number | null;
  readonly completionTokens?: number | null;
  readonly latencyMs: number;
  readonly outcome: "ok" | "error" | "cancelled";
  readonly error?: string;
}

/** A person's decision on an agent's question, as a human gateway reports it. */
export interface ApprovalInput {
  readonly taskId: string;
  readonly agent?: string | null;
  readonly question: string;
  readonly decision: "approved" | "rejected" | "answered" | "expired";
  readonly by?: string | null;
  readonly answer?: string;
}

/** One task input or output, as a recording port reports it (see IoRecord). */
export interface IoInput {
  readonly taskId: string;
  readonly agent?: string | null;
  readonly port: TraceRecordOf<"io">["port"];
  readonly call: number;
  readonly request: unknown;
  readonly reply?: unknown;
  readonly tokens?: readonly string[];
  readonly error?: unknown;
}

export interface Inspector {
  /** Pass as `createSupervisor({ inspect: inspector.inspect })` (or any XState `inspect` option). */
  readonly inspect: (event: InspectionEvent) => void;
  /** Record every runtime event of `bus`; returns the detach function. */
  attach(bus: EventBus): () => void;
  /**
   * Watch a running team: its actor system (the actors already running are recorded as they are
   * now, unless this inspector already sees them through `inspect`), its bus, and its status as
   * supervision records. Returns the detach function.
   */
  attachTeam(team: InspectableTeam): () => void;
  /** Record a model call (an `llm` record). */
  recordLlmCall(call: LlmCallInput): void;
  /** Record a human decision (an `approval` record). */
  recordApproval(approval: ApprovalInput): void;
  /** Record a task's input or output for replay (an `io` record, redacted and cut like the rest). */
  recordIo(io: IoInput): void;
  /** Write a checkpoint now (a trace file that starts mid-run names its live actors from it). */
  checkpoint(): void;
  /**
   * Every record from now on, synchronously as it is made, each with its own line; returns the
   * unsubscribe function. Each record then costs a serialisation of its own: a trace file takes
   * `subscribeLines`.
   */
  subscribe(listener: TraceListener): () => void;
  /**
   * Every line from now on as a trace file holds it: mostly pack lines (tracePack.ts), each the
   * records of one turn of the event loop, handed out at its end; returns the unsubscribe function.
   */
  subscribeLines(listener: LineListener): () => void;
  /** Make the records of this turn into their line now (a writer about to close asks for this). */
  flush(): void;
  /** The records still in the ring, oldest first. */
  records(): readonly TraceRecord[];
  /** The same records, each as its own JSONL line, oldest first. */
  lines(): readonly string[];
  /** Every machine record made so far (kept outside the ring: a late reader needs them all). */
  machines(): readonly TraceRecordOf<"machine">[];
}

/** The parts of an XState actor ref the inspector reads; inspection events type them loosely. */
interface InspectedActor {
  readonly sessionId: string;
  readonly id?: unknown;
  readonly systemId?: unknown;
  readonly _parent?: { readonly sessionId?: unknown } | undefined;
  readonly logic?: unknown;
}

interface InspectedSnapshot {
  readonly status?: unknown;
  readonly value?: unknown;
  readonly context?: unknown;
  readonly output?: unknown;
  readonly error?: unknown;
  readonly children?: unknown;
}

type RecordBody = TraceRecord extends infer R
  ? R extends TraceRecord
    ? Omit<R, "v" | "seq" | "at">
    : never
  : never;

/** What the inspector remembers of a live actor, for checkpoints. */
interface LiveActor {
  readonly entry: Omit<CheckpointActor, "status" | "value" | "context" | "output" | "error">;
  status: CheckpointActor["status"];
  value?: Json;
  context?: Json;
  /** The context object last recorded, to leave an unchanged context out of the next snapshot. */
  rawContext?: unknown;
  output?: Json;
  error?: Json;
}

type MicrostepTransition = TraceRecordOf<"microstep">["transitions"][number];

/** How many of the tasks last written in io records the inspector writes as references after. */
const RECENT_TASKS = 8;

const SNAPSHOT_STATUSES = new Set(["active", "done", "error", "stopped"]);

interface MachineLike {
  readonly id: string;
  readonly root: unknown;
}

/**
 * The state machine an actor runs, or undefined for other logic (promises, callbacks). Logic that
 * wraps a machine (the persistent runner of machine-form agents) exposes it as `machine`.
 */
const machineOf = (logic: unknown): MachineLike | undefined => {
  if (typeof logic !== "object" || logic === null) return undefined;
  const { id, root, machine } = logic as { id?: unknown; root?: unknown; machine?: unknown };
  if (typeof id === "string" && root !== undefined) return logic as MachineLike;
  return machine !== undefined && machine !== logic ? machineOf(machine) : undefined;
};

/** How a resting child is named in the trace, having no session id: `x:0/research.breaker`. */
const restingName = (parent: string, id: string): string => `${parent}/${id}`;

/**
 * Put in a machine's root `meta` to have its snapshots recorded without their context: state value,
 * status and transitions only. For machines whose context is plumbing (ports, handlers, the task
 * the host passes on), not logic a reader follows.
 */
export const CONTEXT_NOT_RECORDED = { "troupe.trace.context": false } as const;

/**
 * Put in a plain agent host's root `meta` (agentHostMachine, whose chart is fixed): its usual steps
 * and events are written as short pack entries (tracePack.ts, tags 4–6) that expand into the same
 * records.
 */
export const PLAIN_AGENT_HOST = { "troupe.trace.plainHost": true } as const;

/** What a machine's root `meta` says under `key` (CONTEXT_NOT_RECORDED, PLAIN_AGENT_HOST). */
const rootMeta = (machine: MachineLike, key: string): unknown =>
  (machine.root as { meta?: Record<string, unknown> } | undefined)?.meta?.[key];

const isPlainHost = (machine: MachineLike): boolean => rootMeta(machine, "troupe.trace.plainHost") === true;

/** The fields of a plain host's assign event, in the order the dispatcher writes them. */
const ASSIGN_KEYS = ["type", "task", "signal", "snapshot"];
/** A plain host's settle events, each with the key of the value it carries. */
const SETTLED_KEY: Readonly<Record<string, string>> = {
  "troupe.task.done": "output",
  "troupe.task.error": "error",
};
const TASK_REF_ID_PATH = Object.freeze(["event", "task", "id"]);
const TASK_ID_PATH = Object.freeze(["event", "taskId"]);

/**
 * Whether a plain host's XState state value is `value`: a string, or `{ busy: … }` (its chart has
 * no other compound state, so a value is never anything else).
 */
const isHostStateValue = (raw: unknown, value: Json): boolean =>
  typeof value === "string"
    ? raw === value
    : typeof raw === "object" &&
      raw !== null &&
      (raw as { busy?: unknown }).busy === (value as { busy: Json }).busy;

const recordsContext = (machine: MachineLike): boolean => rootMeta(machine, "troupe.trace.context") !== false;

const stateNodeId = (node: unknown): string =>
  typeof (node as { id?: unknown } | undefined)?.id === "string" ? (node as { id: string }).id : "?";

/** Each transition of a machine as a record writes it, made once (a machine's transitions do not change). */
const writtenTransitions = new WeakMap<object, MicrostepTransition>();
const transitionOf = (transition: {
  readonly source: unknown;
  readonly target?: readonly unknown[] | undefined;
}): MicrostepTransition => {
  let written = writtenTransitions.get(transition);
  if (written === undefined) {
    const eventType = (transition as { eventType?: unknown }).eventType;
    written = Object.freeze({
      source: stateNodeId(transition.source),
      targets: Object.freeze((transition.target ?? []).map(stateNodeId)),
      ...(typeof eventType === "string" ? { eventType } : {}),
    });
    writtenTransitions.set(transition, written);
  }
  return written;
};

const teamFields = (supervisor: string, status: TeamStatus): TeamStatusFields => ({
  supervisor,
  agents: status.agents.map((agent) => ({
    name: agent.name,
    state: agent.state,
    incarnation: agent.incarnation,
    restarts: agent.restarts,
    breaker: agent.breaker,
    failures: agent.failures,
    queue: agent.queue,
    task: agent.task ?? null,
    capabilities: agent.capabilities,
  })),
  queued: status.queued,
  inFlight: status.inFlight,
  fanOuts: status.fanOuts,
  accepting: status.accepting,
  escalated: status.escalated,
});

/** Runtime events after which a team's status may have changed. */
const changesStatus = (type: string): boolean =>
  type.startsWith("task.") ||
  type.startsWith("agent.") ||
  type === "breaker.changed" ||
  type.startsWith("supervisor.") ||
  type.startsWith("fanout.");

export const createInspector = (options: InspectorOptions = {}): Inspector => {
  const maxBytes = options.maxValueBytes ?? 16_384;
  const capacity = options.capacity ?? 10_000;
  if (!(Number.isInteger(capacity) && capacity > 0)) {
    throw new RangeError(`inspector capacity must be a positive integer, got ${capacity}`);
  }
  if (!(maxBytes > 0)) throw new RangeError(`inspector maxValueBytes must be positive, got ${maxBytes}`);
  const checkpointEvery = options.checkpointEvery ?? 1_000;
  if (!(Number.isInteger(checkpointEvery) && checkpointEvery >= 0)) {
    throw new RangeError(`inspector checkpointEvery must be a whole number, got ${checkpointEvery}`);
  }
  const supervisionEveryMs = options.supervisionEveryMs ?? 200;
  const clock = options.clock ?? Date;
  const recordMicrosteps = options.microsteps ?? false;
  const recordNonMachineActors = options.nonMachineActors ?? false;
  /** Transitions of the macrostep under way, per actor, for the snapshot that ends it. */
  const pendingTransitions = new Map<string, MicrostepTransition[]>();
  const { redact } = options;
  const maxIoBytes = options.maxIoBytes ?? 262_144;
  /**
   * Whether a plain host's steps may be written by their shape: its state names and the assign
   * event's tags are what the whole record would hold when the redaction only rewrites strings that
   * may hold secrets (the host's, or none), nothing is cut, and microsteps are not recorded apart.
   */
  const hostShapes =
    (redact === undefined || redact === redactTraceValue) && maxBytes >= 1_024 && !recordMicrosteps;
  /** A string a whole record would hold as it is (short, unredacted). */
  const keptString = (path: readonly string[], text: unknown): text is string =>
    typeof text === "string" && text.length <= 256 && (redact === undefined || redact(path, text) === text);
  /** The short pack entry the record being made is written as, when it has one. */
  let shaped: unknown[] | undefined;
  /**
   * The tasks last written whole in their `task` io records, and what stands for each in the records
   * after it (events and contexts that carry the same object): its id and where to find the rest.
   * A few, newest first, looked up by identity: the task's own events follow its io record closely,
   * and no older task is kept alive for a reference.
   */
  const writtenTasks: { task: object; ref: Json }[] = [];
  const refer = (value: object): Json | undefined => {
    for (let index = 0; index < writtenTasks.length; index += 1)
      if (writtenTasks[index]!.task === value) return writtenTasks[index]!.ref;
    return undefined;
  };
  const safe = (value: unknown, path: readonly string[]): Json =>
    toJsonSafe(value, path, { maxBytes, redact, refer });
  /** A value recorded as it is: a short string, a finite number, a boolean, null or undefined. */
  const keptAsIs = (value: unknown): boolean => {
    switch (typeof value) {
      case "string":
        return value.length < maxBytes - 2;
      case "number":
        return Number.isFinite(value);
      case "boolean":
      case "undefined":
        return true;
      default:
        return value === null;
    }
  };
  /** A runtime event's field: short primitives are copied as they are (the hot path), the rest cut. */
  const safeField = (value: unknown, key: string): Json =>
    redact === undefined && keptAsIs(value) ? (value as Json) : safe(value, ["event", key]);

  // The ring keeps the records as JSONL lines, most of them pack lines (tracePack.ts) of the records
  // of one turn: one flat string per line is far cheaper for the garbage collector to keep than the
  // records' object trees, and lines are what the trace file wants. Each chunk knows how many records
  // it holds; the oldest chunks go once the others hold `capacity` records.
  const ring: { readonly line: string; readonly count: number }[] = [];
  let ringRecords = 0;
  let seq = 0;
  let sinceCheckpoint = 0;
  let emitting = false;
  /** Subscribers to records, each made into its own line as it happens (the live visualizer). */
  const listeners = new Set<TraceListener>();
  /** Subscribers to lines, as the trace file gets them (`recordTrace`). */
  const lineListeners = new Set<LineListener>();
  const live = new Map<string, LiveActor>();
  const machineRecords = new Map<string, TraceRecordOf<"machine">>();
  const graphOfLogic = new WeakMap<object, string | null>();
  /** The resting children recorded and not yet started, by their parent's session id. */
  const resting = new Map<string, Set<string>>();
  const teams = new Map<string, { readonly team: InspectableTeam; last: TeamStatusFields }>();

  const pushLine = (line: string, count: number): void => {
    ring.push({ line, count });
    ringRecords += count;
    let drop = 0;
    while (drop < ring.length - 1 && ringRecords - ring[drop]!.count >= capacity) {
      ringRecords -= ring[drop]!.count;
      drop += 1;
    }
    if (drop > 0) ring.splice(0, drop);
    for (const listener of lineListeners) safely(listener, line);
  };

  // The records of this turn, gathered into one pack line at its end (or at PACK_MAX entries, or
  // when a reader asks).
  let packEntries: unknown[][] = [];
  let packSeq = 0;
  let packAt = 0;
  let lastAt = 0;
  let packTimer: ReturnType<typeof setImmediate> | undefined;
  const flushPack = (): void => {
    if (packTimer !== undefined) clearImmediate(packTimer);
    packTimer = undefined;
    if (packEntries.length === 0) return;
    const entries = packEntries;
    packEntries = [];
    pushLine(packLine(packSeq, packAt, entries), entries.length);
  };

  /** The latest record (seq) as an object. */
  const recordOf = (body: RecordBody, at: number): TraceRecord =>
    ({ v: TRACE_FORMAT_VERSION, seq, at, ...body }) as TraceRecord;

  /**
   * Record `body` as the next seq (packed as `entry` when given; `endsAt`: the entry's last value is
   * an event's own `at`, written as its step from the record's); returns its `at`.
   */
  const emit = (body: RecordBody, entry?: unknown[], endsAt = false): number => {
    seq += 1;
    const at = clock.now();
    if (Number.isSafeInteger(at) && (packEntries.length === 0 || Number.isSafeInteger(at - lastAt))) {
      if (packEntries.length === 0) {
        packSeq = seq;
        packAt = at;
        lastAt = at;
        packTimer = setImmediate(flushPack);
      }
      const last = entry === undefined ? 0 : entry.length - 1;
      const step = endsAt ? (entry![last] as number) - at : 0;
      if (
        entry === undefined ||
        (endsAt && !(Number.isSafeInteger(entry[last]) && Number.isSafeInteger(step)))
      )
        packEntries.push(packEntry(body, at - lastAt, at));
      else {
        entry[0] = at - lastAt;
        if (endsAt) entry[last] = step;
        packEntries.push(entry);
      }
      lastAt = at;
      if (packEntries.length >= PACK_MAX) flushPack();
    } else {
      // A fractional time (or one too far from the last) cannot be a pack's exact whole-number step:
      // the record gets a line of its own.
      flushPack();
      pushLine(JSON.stringify(recordOf(body, at)), 1);
    }
    if (listeners.size > 0) {
      // A record of its own only for who reads one (a pack entry is made from the body).
      const record = recordOf(body, at);
      const line = JSON.stringify(record);
      for (const listener of listeners) safely(listener, record, line);
    }
    sinceCheckpoint += 1;
    if (checkpointEvery > 0 && sinceCheckpoint >= checkpointEvery && !emitting) {
      emitting = true;
      try {
        emit(checkpointBody());
      } finally {
        emitting = false;
      }
    }
    if (body.kind === "checkpoint") sinceCheckpoint = 0;
    return at;
  };

  /** The records in the ring (the last `capacity`), oldest first, as objects. */
  const ringRecordsInOrder = (): TraceRecord[] => {
    flushPack();
    const records: TraceRecord[] = [];
    for (const { line } of ring) {
      const parsed = JSON.parse(line) as unknown;
      if (isPackLine(parsed)) records.push(...(expandPackLine(parsed).records as TraceRecord[]));
      else records.push(parsed as TraceRecord);
    }
    return records.length > capacity ? records.slice(records.length - capacity) : records;
  };

  const statusOf = (supervisor: string): TeamStatusFields | undefined => {
    const watched = teams.get(supervisor);
    if (!watched) return undefined;
    try {
      watched.last = teamFields(supervisor, watched.team.status());
    } catch {
      // A team that cannot say its status (stopped mid-way) keeps the last one it said.
    }
    return watched.last;
  };

  const checkpointBody = (): RecordBody => ({
    kind: "checkpoint",
    actors: [...live.values()].map((actor) => ({
      ...actor.entry,
      status: actor.status,
      ...(actor.value !== undefined ? { value: actor.value } : {}),
      ...(actor.context !== undefined ? { context: actor.context } : {}),
      ...(actor.output !== undefined ? { output: actor.output } : {}),
      ...(actor.error !== undefined ? { error: actor.error } : {}),
    })),
    teams: [...teams.keys()].flatMap((supervisor) => {
      const fields = statusOf(supervisor);
      return fields ? [fields] : [];
    }),
  });

  /** The machine record's hash for a logic, writing the record the first time its graph is seen. */
  const graphOf = (logic: unknown): string | null => {
    if (typeof logic !== "object" || logic === null) return null;
    const known = graphOfLogic.get(logic);
    if (known !== undefined) return known;
    const machine = machineOf(logic);
    let hash: string | null = null;
    if (machine) {
      try {
        const graph = walkMachine(machine);
        hash = machineGraphHash(graph);
        if (!machineRecords.has(hash)) {
          const body = { kind: "machine", hash, machine: graph.machine, graph } as const;
          const machineSeq = seq + 1;
          const at = emit(body);
          machineRecords.set(hash, { v: TRACE_FORMAT_VERSION, seq: machineSeq, at, ...body });
        }
      } catch {
        hash = null; // A machine the walker cannot read is still recorded, without its chart.
      }
    }
    graphOfLogic.set(logic, hash);
    return hash;
  };

  const actorBody = (actor: InspectedActor, rootId: string): RecordBody => {
    const parent = actor._parent?.sessionId;
    const machine = machineOf(actor.logic);
    const graph = machine ? graphOf(actor.logic) : null;
    const entry = {
      actor: actor.sessionId,
      id: typeof actor.id === "string" ? actor.id : actor.sessionId,
      parent: typeof parent === "string" ? parent : null,
      root: rootId,
      machine: machine ? machine.id : null,
      systemId: typeof actor.systemId === "string" ? actor.systemId : null,
    };
    if (entry.parent !== null) {
      // A lazy child started: the record that stood for it while it rested gives way to its actor.
      const standIn = restingName(entry.parent, entry.id);
      if (resting.get(entry.parent)?.delete(standIn)) {
        live.delete(standIn);
        emit({ kind: "snapshot", actor: standIn, cause: "troupe.inspector.started", status: "stopped" });
      }
    }
    live.set(actor.sessionId, { entry: { ...entry, graph }, status: "active" });
    return { kind: "actor", ...entry, ...(graph !== null ? { graph } : {}) };
  };

  /** A lazy child at rest: an actor record named `<parent>/<id>`, marked resting, and its snapshot. */
  const recordResting = (child: LazyChild, parent: string, rootId: string): void => {
    const name = restingName(parent, child.id);
    if (live.has(name)) return;
    const machine = machineOf(child.logic);
    const graph = machine ? graphOf(child.logic) : null;
    const entry = {
      actor: name,
      id: child.id,
      parent,
      root: rootId,
      machine: machine ? machine.id : null,
      systemId: null,
      resting: true,
    };
    live.set(name, { entry: { ...entry, graph }, status: "active" });
    const siblings = resting.get(parent) ?? new Set<string>();
    resting.set(parent, siblings.add(name));
    emit({ kind: "actor", ...entry, ...(graph !== null ? { graph } : {}) });
    const standIn: InspectedActor = { sessionId: name, id: child.id, logic: child.logic };
    emit(snapshotBody(standIn, "troupe.inspector.attached", child.snapshot as InspectedSnapshot));
  };

  /** A parent that stopped takes its resting children with it. */
  const stopResting = (parent: string, cause: string): void => {
    const names = resting.get(parent);
    if (!names) return;
    resting.delete(parent);
    for (const name of names) {
      live.delete(name);
      emit({ kind: "snapshot", actor: name, cause, status: "stopped" });
    }
  };

  const snapshotBody = (actor: InspectedActor, cause: string, snapshot: InspectedSnapshot): RecordBody => {
    const status = SNAPSHOT_STATUSES.has(snapshot.status as string)
      ? (snapshot.status as "active" | "done" | "error" | "stopped")
      : "active";
    const machine = machineOf(actor.logic);
    const known = live.get(actor.sessionId);
    const body: { -readonly [K in keyof TraceRecordOf<"snapshot">]?: TraceRecordOf<"snapshot">[K] } = {
      kind: "snapshot",
      actor: actor.sessionId,
      cause,
      status,
    };
    if (machine) {
      body.value = safe(snapshot.value, ["value"]);
      // An unchanged context (the same object as last time) is left out; readers keep the last one.
      if (
        recordsContext(machine) &&
        !(known && known.rawContext === snapshot.context && known.context !== undefined)
      ) {
        body.context = safe(snapshot.context, ["context"]);
      }
    }
    if (snapshot.output !== undefined) body.output = safe(snapshot.output, ["output"]);
    if (snapshot.error !== undefined) body.error = safe(snapshot.error, ["error"]);
    if (known) {
      if (status !== "active") live.delete(actor.sessionId);
      else {
        known.status = status;
        if (body.value !== undefined) known.value = body.value;
        if (body.context !== undefined) {
          known.context = body.context;
          known.rawContext = snapshot.context;
        }
        if (body.output !== undefined) known.output = body.output;
        if (body.error !== undefined) known.error = body.error;
      }
    }
    return body as RecordBody;
  };

  /**
   * A plain host's assign or settle event as the record its short entry expands into (the entry
   * left in `shaped`), or undefined when the event is not exactly one (then it is recorded whole).
   */
  const hostEvent = (
    source: string | null,
    target: string,
    event: Record<string, unknown>,
  ): RecordBody | undefined => {
    if (Object.getPrototypeOf(event) !== Object.prototype) return undefined;
    const type = event.type as string;
    let keys = 0;
    if (type === "troupe.task.assign") {
      for (const key in event) if (key !== ASSIGN_KEYS[keys++]) return undefined;
      const { task, signal } = event;
      if (keys < 3 || event.snapshot !== undefined || typeof task !== "object" || task === null)
        return undefined;
      if (
        typeof signal !== "object" ||
        signal === null ||
        Object.getPrototypeOf(signal) !== AbortSignal.prototype
      )
        return undefined;
      const ref = refer(task) as { id: string; $ref: string } | undefined;
      if (ref === undefined || !keptString(TASK_REF_ID_PATH, ref.id)) return undefined;
      shaped = assignEntry(source, target, ref.id);
      return { kind: "event", source, target, type, event: { type, task: ref, signal: SIGNAL_TAG } };
    }
    const key = SETTLED_KEY[type];
    if (key === undefined) return undefined;
    for (const name in event) {
      keys += 1;
      if (name !== (keys === 1 ? "type" : keys === 2 ? "taskId" : keys === 3 ? key : undefined))
        return undefined;
    }
    const { taskId } = event;
    if (keys < 2 || !keptString(TASK_ID_PATH, taskId)) return undefined;
    const raw = event[key];
    // The budget the value would have had inside the whole event (the text before it counted).
    const before = 2 + (4 + 4) + (type.length + 2) + (6 + 4) + (taskId.length + 2) + (key.length + 4);
    const value =
      raw === undefined
        ? undefined
        : toJsonSafe(raw, ["event", key], { maxBytes: maxBytes - before, redact, refer });
    shaped = settledEntry(source, target, type, taskId, value);
    return {
      kind: "event",
      source,
      target,
      type,
      event: value === undefined ? { type, taskId } : { type, taskId, [key]: value },
    };
  };

  /**
   * A plain host's snapshot that is its PLAIN_HOST_STEPS entry for `cause`, as that record (its short
   * entry left in `shaped`), or undefined when it is anything else.
   */
  const hostStep = (actor: string, cause: string, snapshot: InspectedSnapshot): RecordBody | undefined => {
    const step = PLAIN_HOST_STEPS[cause];
    if (step === undefined || snapshot.status !== "active") return undefined;
    if (
      snapshot.output !== undefined ||
      snapshot.error !== undefined ||
      !isHostStateValue(snapshot.value, step.value)
    )
      return undefined;
    const transitions = pendingTransitions.get(actor);
    if (transitions?.length !== 1) return undefined;
    const expected = step.transitions[0]!;
    const taken = transitions[0]!;
    if (
      taken.source !== expected.source ||
      taken.eventType !== expected.eventType ||
      taken.targets.length !== 1 ||
      taken.targets[0] !== expected.targets[0]
    )
      return undefined;
    pendingTransitions.delete(actor);
    const known = live.get(actor);
    if (known) {
      known.status = "active";
      known.value = step.value;
    }
    shaped = hostStepEntry(actor, cause);
    return {
      kind: "snapshot",
      actor,
      cause,
      status: "active",
      value: step.value,
      transitions: step.transitions,
    };
  };

  const bodyOf = (event: InspectionEvent): RecordBody | undefined => {
    // Action events (several per transition) are never recorded: they cost the switch only.
    if (event.type === "@xstate.action") return undefined;
    const actor = event.actorRef as unknown as InspectedActor;
    const isMachine = machineOf(actor.logic) !== undefined;
    switch (event.type) {
      case "@xstate.actor":
        // Sent from the actor's constructor: its snapshot does not exist yet, so only read fields.
        return isMachine || recordNonMachineActors ? actorBody(actor, event.rootId) : undefined;
      case "@xstate.event": {
        const source = (event.sourceRef as unknown as InspectedActor | undefined)?.sessionId;
        const type = String(event.event.type);
        if (!isMachine) {
          if (!recordNonMachineActors) return undefined;
          // A promise's or callback's own plumbing (xstate.promise.resolve to itself) says nothing
          // its done snapshot does not; its input is the parent's business (the agent's context).
          if (source === actor.sessionId) return undefined;
          if (type === "xstate.init")
            return { kind: "event", source: source ?? null, target: actor.sessionId, type, event: { type } };
        }
        const from = typeof source === "string" ? source : null;
        if (hostShapes && isMachine && isPlainHost(machineOf(actor.logic)!)) {
          const short = hostEvent(from, actor.sessionId, event.event as Record<string, unknown>);
          if (short !== undefined) return short;
        }
        return {
          kind: "event",
          source: from,
          target: actor.sessionId,
          type,
          event: safe(event.event, ["event"]),
        };
      }
      case "@xstate.snapshot": {
        const snapshot = event.snapshot as InspectedSnapshot;
        if (!isMachine) {
          if (!recordNonMachineActors) return undefined;
          // A promise's first snapshot (active, nothing yet) adds nothing to its actor record.
          if (snapshot.status === "active" && snapshot.output === undefined && snapshot.error === undefined)
            return undefined;
        }
        const cause = String(event.event.type);
        if (hostShapes && isMachine && isPlainHost(machineOf(actor.logic)!)) {
          const step = hostStep(actor.sessionId, cause, snapshot);
          if (step !== undefined) return step;
        }
        const body = snapshotBody(actor, cause, snapshot);
        const transitions = pendingTransitions.get(actor.sessionId);
        if (transitions === undefined) return body;
        pendingTransitions.delete(actor.sessionId);
        (body as { transitions?: readonly MicrostepTransition[] }).transitions = transitions;
        return body;
      }
      case "@xstate.microstep": {
        const transitions = event._transitions.map(transitionOf);
        if (!recordMicrosteps) {
          const pending = pendingTransitions.get(actor.sessionId);
          if (pending) pending.push(...transitions);
          else pendingTransitions.set(actor.sessionId, transitions);
          return undefined;
        }
        return {
          kind: "microstep",
          actor: actor.sessionId,
          cause: String(event.event.type),
          value: safe((event.snapshot as InspectedSnapshot).value, ["value"]),
          transitions,
        };
      }
      default:
        // @xstate.action (and the retired @xstate.transition) would double the trace for little.
        return undefined;
    }
  };

  const inspect = (event: InspectionEvent): void => {
    let body: RecordBody | undefined;
    shaped = undefined;
    try {
      body = bodyOf(event);
    } catch {
      // An inspector must never break what it watches; a record it cannot read is skipped.
      return;
    }
    if (body) {
      emit(body, shaped);
      if (body.kind === "snapshot" && body.status !== "active") stopResting(body.actor, body.cause);
    }
  };

  /** The path of a runtime event's field, made once per key (redaction reads it on every event). */
  const eventPaths = new Map<string, readonly string[]>();
  const eventPath = (key: string): readonly string[] => {
    let path = eventPaths.get(key);
    if (path === undefined) {
      path = Object.freeze(["event", key]);
      eventPaths.set(key, path);
    }
    return path;
  };

  /** Whether `redact` leaves every field of an event of short primitives as it is. */
  const unredacted = (event: RuntimeEvent): boolean => {
    for (const key in event) {
      const value = (event as unknown as Record<string, unknown>)[key];
      if (!keptAsIs(value)) return false;
      if (redact !== undefined && typeof value === "string" && redact(eventPath(key), value) !== value)
        return false;
    }
    return true;
  };

  /**
   * A runtime event of a packed shape (RUNTIME_SHAPES) whose fields a whole record would hold as
   * they are, as its pack entry in one pass, its last value still the event's `at`; or undefined.
   */
  const runtimeShaped = (event: RuntimeEvent): unknown[] | undefined => {
    const { type } = event;
    const shape = RUNTIME_SHAPES[type];
    if (shape === undefined || shape[shape.length - 1] !== "at") return undefined;
    let fields = 0;
    for (const _ in event) fields += 1;
    if (fields !== shape.length + 1) return undefined;
    if (redact !== undefined && redact(eventPath("type"), type) !== type) return undefined;
    const entry: unknown[] = [0, type];
    for (let index = 0; index < shape.length; index += 1) {
      const key = shape[index]!;
      const value = (event as unknown as Record<string, unknown>)[key];
      if (value === undefined || !keptAsIs(value)) return undefined;
      if (redact !== undefined && typeof value === "string" && redact(eventPath(key), value) !== value)
        return undefined;
      entry.push(value);
    }
    return entry;
  };

  const runtimeBody = (event: RuntimeEvent): RecordBody => {
    // The hot path: an event of short primitives that redaction leaves alone is recorded as it is,
    // without a copy (kept until its pack line is made at the end of the turn: the bus's events are
    // not changed once published).
    if (unredacted(event)) return { kind: "runtime", event };
    // Field by field so the catalogued shape survives: only a field's own value is ever cut.
    const fields: Record<string, Json> = {};
    for (const key in event) {
      const value = (event as unknown as Record<string, unknown>)[key];
      if (value !== undefined) fields[key] = safeField(value, key);
    }
    return { kind: "runtime", event: fields as unknown as RuntimeEvent };
  };

  // Supervision records: a team's status after its runtime events, at most every supervisionEveryMs.
  let supervisionTimer: ReturnType<typeof setTimeout> | undefined;
  let lastSupervisionAt = Number.NEGATIVE_INFINITY;
  const writeSupervision = () => {
    supervisionTimer = undefined;
    lastSupervisionAt = performance.now();
    for (const supervisor of teams.keys()) {
      const fields = statusOf(supervisor);
      if (fields) emit({ kind: "supervision", ...fields });
    }
  };
  const supervisionSoon = () => {
    if (supervisionTimer !== undefined || teams.size === 0) return;
    const wait = Math.max(0, lastSupervisionAt + supervisionEveryMs - performance.now());
    supervisionTimer = setTimeout(writeSupervision, wait);
    supervisionTimer.unref?.();
  };

  const buses = new Map<EventBus, { count: number; detach: () => void }>();
  const emitApproval = (approval: ApprovalInput) =>
    emit({
      kind: "approval",
      taskId: approval.taskId,
      agent: approval.agent ?? null,
      question: approval.question,
      decision: approval.decision,
      by: approval.by ?? null,
      ...(approval.answer !== undefined ? { answer: approval.answer } : {}),
    });

  const attach = (bus: EventBus): (() => void) => {
    const known = buses.get(bus);
    if (known) known.count += 1;
    else {
      const detach = bus.subscribe((event) => {
        const entry = runtimeShaped(event);
        if (entry === undefined) emit(runtimeBody(event));
        else emit({ kind: "runtime", event }, entry, true);
        if (changesStatus(event.type)) supervisionSoon();
        // A decided approval is also an `approval` record (the timeline shows who decided).
        if (event.type === "task.approval" && event.decision !== "refused") {
          emitApproval({
            taskId: event.taskId,
            agent: event.agent,
            question: `approval of #${event.hash.slice(0, 8)}`,
            decision: event.decision === "denied" ? "rejected" : event.decision,
            by: event.by,
          });
        }
      });
      buses.set(bus, { count: 1, detach });
    }
    let attached = true;
    return () => {
      if (!attached) return;
      attached = false;
      const entry = buses.get(bus)!;
      entry.count -= 1;
      if (entry.count === 0) {
        entry.detach();
        buses.delete(bus);
      }
    };
  };

  /** Record actors that were running before the inspector watched them, parents first. */
  const announce = (actor: AnyActorRef, rootId: string) => {
    const inspected = actor as unknown as InspectedActor;
    if (live.has(inspected.sessionId)) return;
    if (!recordNonMachineActors && machineOf(inspected.logic) === undefined) return;
    emit(actorBody(inspected, rootId));
    const snapshot = actor.getSnapshot() as InspectedSnapshot;
    emit(snapshotBody(inspected, "troupe.inspector.attached", snapshot));
    const children = snapshot.children;
    if (typeof children === "object" && children !== null) {
      for (const child of Object.values(children as Record<string, AnyActorRef | undefined>)) {
        if (child) announce(child, rootId);
      }
    }
  };

  const attachTeam = (team: InspectableTeam): (() => void) => {
    const supervisor = team.actor.sessionId;
    let unsubscribe: (() => void) | undefined;
    if (!live.has(supervisor)) {
      const subscription = team.actor.system.inspect((event: InspectionEvent) => inspect(event));
      unsubscribe = () => subscription.unsubscribe();
      announce(team.actor, supervisor);
    }
    // A stopped team has no resting children to show: they stopped with it.
    const running = team.actor.getSnapshot().status === "active";
    for (const child of running ? (team.lazyChildren?.() ?? []) : []) {
      if (child.actor) announce(child.actor, supervisor);
      else recordResting(child, supervisor, supervisor);
    }
    const detachBus = attach(team.bus);
    teams.set(supervisor, { team, last: teamFields(supervisor, team.status()) });
    emit({ kind: "supervision", ...teams.get(supervisor)!.last });
    return () => {
      unsubscribe?.();
      detachBus();
      teams.delete(supervisor);
      if (teams.size === 0 && supervisionTimer !== undefined) {
        clearTimeout(supervisionTimer);
        supervisionTimer = undefined;
      }
    };
  };

  return {
    inspect,
    attach,
    attachTeam,
    recordLlmCall(call) {
      emit({
        kind: "llm",
        actor: call.actor ?? null,
        taskId: call.taskId ?? null,
        agent: call.agent ?? null,
        model: call.model,
        promptTokens: call.promptTokens ?? null,
        completionTokens: call.completionTokens ?? null,
        latencyMs: call.latencyMs,
        outcome: call.outcome,
        ...(call.error !== undefined ? { error: call.error } : {}),
      });
    },
    recordApproval: (approval) => emitApproval(approval),
    recordIo(io) {
      const bound = (value: unknown, key: string): Json =>
        toJsonSafe(value, [key], { maxBytes: maxIoBytes, redact });
      emit({
        kind: "io",
        taskId: io.taskId,
        agent: io.agent ?? null,
        port: io.port,
        call: io.call,
        request: bound(io.request, "request"),
        ...(io.reply !== undefined ? { reply: bound(io.reply, "reply") } : {}),
        ...(io.tokens !== undefined ? { tokens: bound(io.tokens, "tokens") as string[] } : {}),
        ...(io.error !== undefined ? { error: bound(io.error, "error") } : {}),
      });
      // Its io record holds the task at least as whole as another record could (a larger bound).
      const task = (io.request as { task?: unknown } | null)?.task;
      if (io.port === "task" && typeof task === "object" && task !== null && refer(task) === undefined) {
        writtenTasks.unshift({ task, ref: { id: io.taskId, $ref: "io:task" } });
        if (writtenTasks.length > RECENT_TASKS) writtenTasks.pop();
      }
    },
    checkpoint: () => {
      emit(checkpointBody());
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    subscribeLines(listener) {
      lineListeners.add(listener);
      return () => lineListeners.delete(listener);
    },
    flush: flushPack,
    records: ringRecordsInOrder,
    lines: () => ringRecordsInOrder().map((record) => JSON.stringify(record)),
    machines: () => [...machineRecords.values()],
  };
};

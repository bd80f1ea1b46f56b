// The Inspector: one ordered stream of trace records made of XState's inspection events (actors,
// events, snapshots, microsteps of the supervisor and every agent) and the runtime events of the
// bus. It keeps the latest records in a bounded ring, hands each record to subscribers as it
// happens (the trace writer, the visualizer), and never throws into the actors it watches.
import type { InspectionEvent } from "xstate";
import type { RuntimeEvent } from "../events/catalogue.ts";
import type { EventBus } from "../events/EventBus.ts";
import { TRACE_FORMAT_VERSION, type TraceRecord } from "./TraceRecord.ts";
import { type Json, type Redact, toJsonSafe } from "./toJsonSafe.ts";

export interface InspectorOptions {
  /** Rewrite a value before it is recorded (hide secrets); `path` is its JSON path in the record. */
  readonly redact?: Redact;
  /** About how large one recorded value (an event, a context, an output) may get (default 16 KiB). */
  readonly maxValueBytes?: number;
  /** How many records `records()` keeps, oldest dropped first (default 10,000). */
  readonly capacity?: number;
  /** Record microsteps (default true). */
  readonly microsteps?: boolean;
  /** Where `at` comes from (default wall time). */
  readonly clock?: { now(): number };
}

export type TraceListener = (record: TraceRecord) => void;

export interface Inspector {
  /** Pass as `createSupervisor({ inspect: inspector.inspect })` (or any XState `inspect` option). */
  readonly inspect: (event: InspectionEvent) => void;
  /** Record every runtime event of `bus`; returns the detach function. */
  attach(bus: EventBus): () => void;
  /** Every record from now on, synchronously as it is made; returns the unsubscribe function. */
  subscribe(listener: TraceListener): () => void;
  /** The records still in the ring, oldest first. */
  records(): readonly TraceRecord[];
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
}

type RecordBody = TraceRecord extends infer R
  ? R extends TraceRecord
    ? Omit<R, "v" | "seq" | "at">
    : never
  : never;

const SNAPSHOT_STATUSES = new Set(["active", "done", "error", "stopped"]);

/** A state machine's id, or null for other logic (promises, callbacks, observables). */
const machineIdOf = (logic: unknown): string | null => {
  if (typeof logic !== "object" || logic === null) return null;
  const { id, root } = logic as { id?: unknown; root?: unknown };
  return typeof id === "string" && root !== undefined ? id : null;
};

const stateNodeId = (node: unknown): string =>
  typeof (node as { id?: unknown } | undefined)?.id === "string" ? (node as { id: string }).id : "?";

export const createInspector = (options: InspectorOptions = {}): Inspector => {
  const maxBytes = options.maxValueBytes ?? 16_384;
  const capacity = options.capacity ?? 10_000;
  if (!(Number.isInteger(capacity) && capacity > 0)) {
    throw new RangeError(`inspector capacity must be a positive integer, got ${capacity}`);
  }
  if (!(maxBytes > 0)) throw new RangeError(`inspector maxValueBytes must be positive, got ${maxBytes}`);
  const clock = options.clock ?? Date;
  const recordMicrosteps = options.microsteps ?? true;
  const safe = (value: unknown, path: readonly string[]): Json =>
    toJsonSafe(value, path, { maxBytes, redact: options.redact });

  const ring: TraceRecord[] = [];
  let head = 0;
  let seq = 0;
  const listeners = new Set<TraceListener>();

  const emit = (body: RecordBody): void => {
    seq += 1;
    const record = { v: TRACE_FORMAT_VERSION, seq, at: clock.now(), ...body } as TraceRecord;
    if (ring.length < capacity) ring.push(record);
    else {
      ring[head] = record;
      head = (head + 1) % capacity;
    }
    for (const listener of listeners) {
      try {
        listener(record);
      } catch (error) {
        // Like the EventBus: a failing subscriber is reported, never breaks the actors or the others.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  };

  const bodyOf = (event: InspectionEvent): RecordBody | undefined => {
    const actor = event.actorRef as unknown as InspectedActor;
    switch (event.type) {
      case "@xstate.actor": {
        // Sent from the actor's constructor: its snapshot does not exist yet, so only read fields.
        const parent = actor._parent?.sessionId;
        return {
          kind: "actor",
          actor: actor.sessionId,
          id: typeof actor.id === "string" ? actor.id : actor.sessionId,
          parent: typeof parent === "string" ? parent : null,
          root: event.rootId,
          machine: machineIdOf(actor.logic),
          systemId: typeof actor.systemId === "string" ? actor.systemId : null,
        };
      }
      case "@xstate.event": {
        const source = (event.sourceRef as unknown as InspectedActor | undefined)?.sessionId;
        return {
          kind: "event",
          source: typeof source === "string" ? source : null,
          target: actor.sessionId,
          type: String(event.event.type),
          event: safe(event.event, ["event"]),
        };
      }
      case "@xstate.snapshot": {
        const snapshot = event.snapshot as InspectedSnapshot;
        const status = SNAPSHOT_STATUSES.has(snapshot.status as string)
          ? (snapshot.status as "active" | "done" | "error" | "stopped")
          : "active";
        const isMachine = machineIdOf(actor.logic) !== null;
        return {
          kind: "snapshot",
          actor: actor.sessionId,
          cause: String(event.event.type),
          status,
          ...(isMachine
            ? { value: safe(snapshot.value, ["value"]), context: safe(snapshot.context, ["context"]) }
            : {}),
          ...(snapshot.output !== undefined ? { output: safe(snapshot.output, ["output"]) } : {}),
          ...(snapshot.error !== undefined ? { error: safe(snapshot.error, ["error"]) } : {}),
        };
      }
      case "@xstate.microstep": {
        if (!recordMicrosteps) return undefined;
        return {
          kind: "microstep",
          actor: actor.sessionId,
          cause: String(event.event.type),
          value: safe((event.snapshot as InspectedSnapshot).value, ["value"]),
          transitions: event._transitions.map((transition) => ({
            source: stateNodeId(transition.source),
            targets: (transition.target ?? []).map(stateNodeId),
          })),
        };
      }
      default:
        // @xstate.action (and the retired @xstate.transition) would double the trace for little.
        return undefined;
    }
  };

  const inspect = (event: InspectionEvent): void => {
    let body: RecordBody | undefined;
    try {
      body = bodyOf(event);
    } catch {
      // An inspector must never break what it watches; a record it cannot read is skipped.
      return;
    }
    if (body) emit(body);
  };

  const runtimeBody = (event: RuntimeEvent): RecordBody => {
    // Field by field so the catalogued shape survives: only a field's own value is ever cut.
    const fields: Record<string, Json> = {};
    for (const [key, value] of Object.entries(event)) {
      if (value !== undefined) fields[key] = safe(value, ["event", key]);
    }
    return { kind: "runtime", event: fields as unknown as RuntimeEvent };
  };

  return {
    inspect,
    attach: (bus) => bus.subscribe((event) => emit(runtimeBody(event))),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    records: () => (ring.length < capacity ? [...ring] : [...ring.slice(head), ...ring.slice(0, head)]),
  };
};

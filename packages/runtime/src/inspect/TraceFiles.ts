// A folder of trace files that a long-running host records into: a Writable that opens a new JSONL
// file at start, at each UTC day's change and when the current file reaches its size bound, and
// keeps only the newest `retain` files. Folder 0700, files 0600 (a trace holds task text). Names
// sort by time: `trace-20261207T134500Z.jsonl` (a second file of the same second gets `-1`…). It
// emits "rotated" with the new file's path each time it starts a file after the first, so the writer
// can start it with a checkpoint (what a reader of that file alone needs to name the live actors).
import { type FileHandle, open, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { Writable } from "node:stream";
import { makePrivateDirAsync, PRIVATE_FILE_MODE } from "../internal/privateFiles.ts";

export interface TraceFilesOptions {
  readonly dir: string;
  /** How many trace files to keep, the newest (default 14). */
  readonly retain?: number;
  /** Start a new file once the current one holds this many bytes (default 64 MiB). */
  readonly maxFileBytes?: number;
  readonly clock?: { now(): number };
}

const PATTERN = /^trace-\d{8}T\d{6}Z(-\d+)?\.jsonl$/;
const stamp = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replaceAll(/[-:]/g, "")
    .replace(/\.\d{3}Z$/, "Z");
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** A file name's place in time: its stamp, then its number within that second (none first). */
const orderOf = (name: string): readonly [string, number] => {
  const [, stamp = "", n] = /^trace-(\d{8}T\d{6}Z)(?:-(\d+))?\.jsonl$/.exec(name) ?? [];
  return [stamp, n === undefined ? 0 : Number(n)];
};
const byTime = (a: string, b: string): number => {
  const [stampA, nA] = orderOf(a);
  const [stampB, nB] = orderOf(b);
  return stampA === stampB ? nA - nB : stampA < stampB ? -1 : 1;
};

/** The trace files of `dir`, oldest first (`-1`, `-2`… after the first file of the same second). */
export const listTraceFiles = async (dir: string): Promise<string[]> =>
  (await readdir(dir).catch(() => [] as string[]))
    .filter((name) => PATTERN.test(name))
    .sort(byTime)
    .map((name) => join(dir, name));

export class TraceFiles extends Writable {
  readonly #dir: string;
  readonly #retain: number;
  readonly #maxFileBytes: number;
  readonly #clock: { now(): number };
  #file: FileHandle | undefined;
  /** The first file's opening, when `open()` started it before any record came. */
  #opening: Promise<void> | undefined;
  #path: string | undefined;
  #firstPath: string | undefined;
  #day = "";
  #bytes = 0;

  constructor(options: TraceFilesOptions) {
    super({ decodeStrings: true });
    this.#dir = options.dir;
    this.#retain = options.retain ?? 14;
    this.#maxFileBytes = options.maxFileBytes ?? 64 * 1024 * 1024;
    this.#clock = options.clock ?? Date;
    if (!(Number.isInteger(this.#retain) && this.#retain >= 1))
      throw new RangeError(`trace files: retain must be a whole number of at least 1, got ${this.#retain}`);
  }

  /** The file being written, once the first record is. */
  get path(): string | undefined {
    return this.#path;
  }

  /** The first file this writer opened (where a record made before any was written went). */
  get firstPath(): string | undefined {
    return this.#firstPath;
  }

  /**
   * Open the first file now rather than at the first record, so `path` names it from the start
   * (the host does, so a task's replay command can name its file as soon as the task ends).
   */
  open(): Promise<void> {
    this.#opening ??= this.#file === undefined ? this.#rotate(this.#clock.now()) : Promise.resolve();
    return this.#opening;
  }

  async #rotate(now: number): Promise<void> {
    await this.#file?.close();
    await makePrivateDirAsync(this.#dir);
    const base = `trace-${stamp(now)}`;
    const taken = new Set(await readdir(this.#dir));
    let name = `${base}.jsonl`;
    for (let n = 1; taken.has(name); n += 1) name = `${base}-${n}.jsonl`;
    this.#path = join(this.#dir, name);
    const rotated = this.#firstPath !== undefined;
    this.#firstPath ??= this.#path;
    this.#file = await open(this.#path, "a", PRIVATE_FILE_MODE);
    if (rotated) this.emit("rotated", this.#path);
    this.#day = dayOf(now);
    this.#bytes = 0;
    const files = await listTraceFiles(this.#dir);
    for (const old of files.slice(0, Math.max(0, files.length - this.#retain)))
      await rm(old, { force: true });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    const now = this.#clock.now();
    const rotate = () =>
      this.#file === undefined ||
      dayOf(now) !== this.#day ||
      (this.#bytes > 0 && this.#bytes + chunk.length > this.#maxFileBytes);
    (this.#opening ?? Promise.resolve())
      .then(() => (rotate() ? this.#rotate(now) : undefined))
      .then(() => this.#file!.write(chunk))
      .then(() => {
        this.#bytes += chunk.length;
        done();
      }, done);
  }

  override _final(done: (error?: Error | null) => void): void {
    (this.#file?.close() ?? Promise.resolve()).then(() => done(), done);
  }
}

// How a pull shows its progress on stderr: on a terminal, one line redrawn in place with a bar (at
// most ten times a second); elsewhere (a pipe, a log file, CI), plain lines — each new step, and
// each quarter of a download — so the output stays readable.
import type { Writable } from "node:stream";
import type { PullProgress } from "@troupe/runtime/ollama";

export interface ProgressStream extends Writable {
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface PullProgressView {
  update(progress: PullProgress): void;
  /** End the model's progress (the bar's line is finished). */
  done(): void;
}

const BAR_WIDTH = 24;
const REDRAW_MS = 100;

const bytes = (count: number): string => {
  if (count >= 1e9) return `${(count / 1e9).toFixed(1)} GB`;
  if (count >= 1e6) return `${(count / 1e6).toFixed(0)} MB`;
  if (count >= 1e3) return `${(count / 1e3).toFixed(0)} kB`;
  return `${count} B`;
};

const fraction = (progress: PullProgress): number | undefined =>
  progress.total && progress.total > 0 && progress.completed !== undefined
    ? Math.min(1, progress.completed / progress.total)
    : undefined;

export const pullProgressView = (
  stream: ProgressStream,
  now: () => number = () => performance.now(),
): PullProgressView => (stream.isTTY ? barView(stream, now) : lineView(stream));

const barView = (stream: ProgressStream, now: () => number): PullProgressView => {
  let drawnAt = Number.NEGATIVE_INFINITY;
  let drawn = false;
  let lastStatus = "";
  return {
    update(progress) {
      const share = fraction(progress);
      const changed = progress.status !== lastStatus;
      lastStatus = progress.status;
      if (!changed && share !== 1 && now() - drawnAt < REDRAW_MS) return;
      drawnAt = now();
      let text = `pulling ${progress.model}: ${progress.status}`;
      if (share !== undefined) {
        const filled = Math.round(share * BAR_WIDTH);
        text += ` [${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}] ${String(Math.floor(share * 100)).padStart(3)}% ${bytes(progress.completed ?? 0)} / ${bytes(progress.total ?? 0)}`;
      }
      const width = Math.max(20, (stream.columns ?? 80) - 1);
      stream.write(`\r${text.slice(0, width).padEnd(width)}`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write("\n");
      drawn = false;
    },
  };
};

const lineView = (stream: ProgressStream): PullProgressView => {
  let lastStatus = "";
  let lastQuarter = -1;
  return {
    update(progress) {
      const share = fraction(progress);
      if (progress.status !== lastStatus) {
        lastStatus = progress.status;
        lastQuarter = -1;
        if (share === undefined) {
          stream.write(`pulling ${progress.model}: ${progress.status}\n`);
          return;
        }
      }
      if (share === undefined) return;
      const quarter = Math.floor(share * 4);
      if (quarter <= lastQuarter) return;
      lastQuarter = quarter;
      stream.write(
        `pulling ${progress.model}: ${progress.status} ${quarter * 25}% (${bytes(progress.completed ?? 0)} of ${bytes(progress.total ?? 0)})\n`,
      );
    },
    done() {},
  };
};

// The scheduler agent: `/schedule <cron|every 5m|at ISO> <task text>`, `/schedules` and
// `/unschedule <id>`, read from the task's text (or its slash command), on a durable Scheduler.
// `createScheduler` gives the agent and the scheduler; call `start()` once the team can take tasks.
import { defineAgent, type Task, TroupeError } from "@troupe/runtime";
import { Schema } from "effect";
import { defineFormatters, shorten } from "../format/Formatters.ts";
import { jobId, ScheduledJob, Scheduler, type SchedulerOptions } from "./Scheduler.ts";
import { parseSchedule } from "./scheduleSpec.ts";

export const SchedulerResult = Schema.Struct({
  action: Schema.Literals(["scheduled", "listed", "unscheduled"]),
  jobs: Schema.Array(ScheduledJob),
  message: Schema.String,
});
export type SchedulerResult = typeof SchedulerResult.Type;

const when = (at: number | null) => (at === null ? "never" : new Date(at).toISOString());

const line = (job: ScheduledJob) => `${job.id}  ${job.schedule}  next ${when(job.nextRunAt)}  → ${job.text}`;

export const schedulerFormatters = defineFormatters<SchedulerResult>({
  markdown: (result) =>
    [
      result.message,
      ...result.jobs.map(
        (job) => `- \`${job.id}\` **${job.schedule}** — next ${when(job.nextRunAt)}: ${job.text}`,
      ),
    ].join("\n"),
  text: (result) => [result.message, ...result.jobs.map(line)].join("\n"),
  notification: (result) => shorten(result.message, 140),
});

const COMMAND = /^\/(schedule|schedules|unschedule)\b\s*([\s\S]*)$/;

/** The command line of a task: its text, with its slash command in front when given apart. */
const commandLine = (task: Task): string => {
  const text = task.text.replace(/^\s*@scheduler(?=\s|$)/, "").trim();
  if (task.command && !text.startsWith(task.command)) return `${task.command} ${text}`.trim();
  return text;
};

export const createScheduler = (options: SchedulerOptions) => {
  const scheduler = new Scheduler(options);
  const agent = defineAgent({
    name: "scheduler",
    description:
      "Durable scheduled tasks: /schedule <cron|every 5m|at ISO-time> <task text>, /schedules, /unschedule <id>.",
    capabilities: ["schedule"],
    format: schedulerFormatters,
    async handle(task, ctx): Promise<SchedulerResult> {
      const match = COMMAND.exec(commandLine(task));
      if (!match) {
        throw new TroupeError(
          "InvalidCommand",
          "scheduler: use /schedule <cron|every 5m|at ISO-time> <task text>, /schedules or /unschedule <id>",
        );
      }
      const [, command, rest = ""] = match;
      if (command === "schedules") {
        const jobs = scheduler.list();
        return {
          action: "listed",
          jobs,
          message:
            jobs.length === 0
              ? "No scheduled jobs."
              : `${jobs.length} scheduled job${jobs.length === 1 ? "" : "s"}.`,
        };
      }
      if (command === "unschedule") {
        const id = rest.trim();
        if (!id)
          throw new TroupeError("InvalidCommand", "scheduler: /unschedule needs a job id (see /schedules)");
        if (!(await scheduler.unschedule(id))) {
          throw new TroupeError("InvalidCommand", `scheduler: there is no job ${id} (see /schedules)`);
        }
        return { action: "unscheduled", jobs: [], message: `Unscheduled ${id}.` };
      }
      const { spec, text } = parseSchedule(rest);
      // The time and the id through ctx: the trace records them and a replay gives them back.
      const job = await scheduler.schedule(spec, text, {
        from: task.from,
        channel: task.channel,
        id: jobId(ctx.randomId()),
        now: ctx.now(),
      });
      return {
        action: "scheduled",
        jobs: [job],
        message: `Scheduled ${job.id} (${job.schedule}), next run ${when(job.nextRunAt)}: ${job.text}`,
      };
    },
  });
  return {
    agent,
    scheduler,
    start: () => scheduler.start(),
    stop: () => scheduler.stop(),
  };
};

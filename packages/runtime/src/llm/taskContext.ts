// How a task's context reaches a model: its working memory (`task.notes`, a thread's pinned messages on
// Discord) as one system section, and the conversation it continues (`task.conversation`) as prior
// chat turns, people's turns prefixed with their names so the model knows who said what. Agents put
// these between their own system prompt and the request, so every agent reads a follow-up the same way.
import type { Task } from "../task/Task.ts";
import type { ChatMessage } from "./Llm.ts";

/** The task's notes as a "working memory" system message; nothing when it has none. */
export const workingMemoryMessages = (task: Pick<Task, "notes">): ChatMessage[] =>
  task.notes.length === 0
    ? []
    : [
        {
          role: "system",
          content: `Working memory (notes pinned for this task; keep them in mind):\n${task.notes.map((note) => `- ${note}`).join("\n")}`,
        },
      ];

/** The conversation the task continues, as prior chat turns, oldest first. */
export const conversationMessages = (task: Pick<Task, "conversation">): ChatMessage[] =>
  task.conversation.map((turn) =>
    turn.role === "user"
      ? { role: "user", content: `${turn.name}: ${turn.content}` }
      : { role: "assistant", content: turn.content },
  );

/** Working memory, then the conversation: what goes between an agent's system prompt and the request. */
export const taskContextMessages = (task: Pick<Task, "notes" | "conversation">): ChatMessage[] => [
  ...workingMemoryMessages(task),
  ...conversationMessages(task),
];

// The page's address fragment: which point of the run (seq), which actor and which timeline
// filters are shown, so a link opens the same view (`/inspect#seq=120&actor=x:3`).

export interface DeepLink {
  readonly seq: number | null;
  readonly actor: string | null;
  readonly task: string;
  readonly type: string;
  readonly filterActor: string;
  readonly showXstate: boolean;
}

export const parseDeepLink = (hash: string): DeepLink => {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const seq = Number(params.get("seq"));
  return {
    seq: params.has("seq") && Number.isFinite(seq) ? seq : null,
    actor: params.get("actor"),
    task: params.get("task") ?? "",
    type: params.get("type") ?? "",
    filterActor: params.get("by") ?? "",
    showXstate: params.get("xstate") === "1",
  };
};

export const formatDeepLink = (link: DeepLink): string => {
  const params = new URLSearchParams();
  if (link.seq !== null) params.set("seq", String(link.seq));
  if (link.actor) params.set("actor", link.actor);
  if (link.task) params.set("task", link.task);
  if (link.type) params.set("type", link.type);
  if (link.filterActor) params.set("by", link.filterActor);
  if (link.showXstate) params.set("xstate", "1");
  return `#${params.toString()}`;
};

// Optional peer dependencies: an adapter entry (@troupe/runtime/redis, /discord, /ollama, /mcp,
// /metrics) loads its library through here once, so a project without it installed fails with one
// line naming the package to install, not a resolution error from deep inside the entry. Deliberately
// a plain Error with a one-line stack and no cause: Node prints an uncaught one as that line alone.

/** Whether `error` says that the package `name` itself cannot be found (not something inside it). */
const isMissing = (error: unknown, name: string): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : "";
  return (
    (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") &&
    (message.includes(`'${name}'`) || message.includes(`'${name}/`) || message.includes(`"${name}"`))
  );
};

/** An error Node prints, uncaught, as its one line: no stack frames, no cause, no fields of its own. */
export class OneLineError extends Error {
  constructor(message: string) {
    super(message);
    this.stack = `${this.name}: ${message}`;
  }
}

/** Thrown when an entry's optional peer dependency is not installed. */
export class MissingPeerDependency extends OneLineError {
  constructor(entry: string, peer: string) {
    super(`${entry} needs the ${peer} package, which is not installed: npm install ${peer}`);
  }
}
// Names on the prototypes, not the instances: an own property would be printed after the message.
OneLineError.prototype.name = "OneLineError";
MissingPeerDependency.prototype.name = "MissingPeerDependency";

/** Load `peer` with `load` (a literal `import(…)`), or throw MissingPeerDependency when it is absent. */
export const importPeer = async <T>(entry: string, peer: string, load: () => Promise<T>): Promise<T> => {
  try {
    return await load();
  } catch (error) {
    if (isMissing(error, peer)) throw new MissingPeerDependency(entry, peer);
    throw error;
  }
};

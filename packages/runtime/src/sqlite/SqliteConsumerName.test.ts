// A consumer name on the embedded store: held by one claim at a time, refused at once naming its
// holder, free again after a release, and free at once when the holding process dies (SIGKILL).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { claimSqliteConsumerName, consumerLockPath } from "./SqliteConsumerName.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "troupe-consumer-name-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("claimSqliteConsumerName", () => {
  it("holds a name for one claim at a time, and names the holder when refusing", async () => {
    const path = join(dir, "default.sqlite");
    const first = claimSqliteConsumerName({ path, consumer: "box-1" });
    expect(first.held).toBe(true);
    let refusal: unknown;
    try {
      claimSqliteConsumerName({ path, consumer: "box-1" });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toMatchObject({
      _tag: "ConsumerNameInUse",
      data: { consumer: "box-1", holder: { pid: process.pid } },
    });
    expect((refusal as { reason: string }).reason).toMatch(
      new RegExp(
        `^the consumer name "box-1" is in use on .*default\\.sqlite by process ${process.pid} on this machine, since `,
      ),
    );
    // Another name on the same store, and the same name on another store, are free.
    const other = claimSqliteConsumerName({ path, consumer: "box-2" });
    const elsewhere = claimSqliteConsumerName({ path: join(dir, "other.sqlite"), consumer: "box-1" });
    await first.release();
    expect(first.held).toBe(false);
    const again = claimSqliteConsumerName({ path, consumer: "box-1" });
    for (const claim of [other, elsewhere, again]) await claim.release();
  });

  it("frees the name at once when its holder is killed", async () => {
    const path = join(dir, "default.sqlite");
    const source = new URL("./SqliteConsumerName.ts", import.meta.url).pathname;
    const child = spawn(
      "node_modules/.bin/node",
      [
        "--input-type=module",
        "-e",
        `const { claimSqliteConsumerName } = await import(${JSON.stringify(source)});
         claimSqliteConsumerName({ path: ${JSON.stringify(path)}, consumer: "box-1" });
         console.log("held");
         setInterval(() => {}, 60_000);`,
      ],
      { cwd: new URL("../../../../", import.meta.url).pathname, stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("held") && resolve());
        child.once("exit", (code) =>
          reject(new Error(`the holder exited (${code}) before it held the name`)),
        );
      });
      expect(() => claimSqliteConsumerName({ path, consumer: "box-1" })).toThrow(
        `by process ${child.pid} on this machine`,
      );
    } finally {
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("close", resolve));
    }
    const claim = claimSqliteConsumerName({ path, consumer: "box-1" });
    expect(claim.held).toBe(true);
    await claim.release();
    expect(consumerLockPath(path, "host:a@b")).toBe(`${path}.host%3Aa%40b.lock`);
  });
});

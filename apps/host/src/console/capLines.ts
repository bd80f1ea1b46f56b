// Piped input to the console, with every line cut a byte past `maxBytes`: a 50 MB line is never held
// in memory whole, yet it stays too long, so the console refuses it like any task over the limit.
// The rest of the cut line is dropped up to its newline; the next lines pass untouched. (A terminal
// is read as it is: its lines are typed, and readline needs the terminal itself for line editing.)
import { Transform } from "node:stream";

const NEWLINE = 0x0a;

export const capLines = (maxBytes: number): Transform => {
  let inLine = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const kept: Buffer[] = [];
      let from = 0;
      while (from < chunk.length) {
        const newline = chunk.indexOf(NEWLINE, from);
        const end = newline < 0 ? chunk.length : newline;
        const room = Math.max(0, maxBytes + 1 - inLine);
        const take = Math.min(room, end - from);
        if (take > 0) kept.push(chunk.subarray(from, from + take));
        inLine += end - from;
        if (newline < 0) break;
        kept.push(chunk.subarray(newline, newline + 1));
        inLine = 0;
        from = newline + 1;
      }
      done(null, Buffer.concat(kept));
    },
  });
};

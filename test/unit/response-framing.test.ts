/**
 * How the workers port tells where a response from workerd ends: each case fed whole, and byte by byte, so every
 * boundary inside a head, a chunk-size line or a body is crossed.
 */
import { describe, expect, test } from "vitest";
import { ResponseFraming } from "../../emulator/runtime/front";

/** Feeds `wire` in pieces of `size` bytes; answers each piece's verdict. */
function feed(wire: string, size: number, head = false): string[] {
  const framing = new ResponseFraming();
  framing.begin(head);
  const bytes = Buffer.from(wire, "latin1");
  const verdicts: string[] = [];
  for (let i = 0; i < bytes.length; i += size) verdicts.push(framing.feed(bytes.subarray(i, i + size)));
  return verdicts;
}

const cases: Array<[string, string, boolean, "done" | "upgrade" | "more"]> = [
  ["content-length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false, "done"],
  ["content-length 0", "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n", false, "done"],
  [
    "chunked, with a trailer",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\na;x=y\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n",
    false,
    "done",
  ],
  [
    "chunked, data that looks like the last chunk",
    "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n7\r\n0\r\n\r\nab\r\n0\r\n\r\n",
    false,
    "done",
  ],
  ["HEAD: no body whatever the length says", "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", true, "done"],
  ["204", "HTTP/1.1 204 No Content\r\n\r\n", false, "done"],
  ["304", 'HTTP/1.1 304 Not Modified\r\nETag: "a"\r\n\r\n', false, "done"],
  ["100 Continue, then the answer", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false, "done"],
  ["101: a WebSocket", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", false, "upgrade"],
];

describe("a response's end", () => {
  for (const [what, wire, head, verdict] of cases) {
    test(`${what}: ${verdict} at its last byte, not before`, () => {
      for (const size of [wire.length, 7, 1]) {
        const verdicts = feed(wire, size, head);
        expect(verdicts.at(-1), `pieces of ${size}`).toBe(verdict);
        expect(
          verdicts.slice(0, -1).every((v) => v === "more"),
          `pieces of ${size}`,
        ).toBe(true);
      }
    });
  }

  test("an unfinished body, and a body that ends only when the connection closes, are never done", () => {
    expect(feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", 1).at(-1)).toBe("more");
    expect(feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", 1).at(-1)).toBe("more");
    expect(feed("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nstream until close", 4).every((v) => v === "more")).toBe(true);
  });

  test("one framing serves the responses of a keep-alive connection in turn", () => {
    const framing = new ResponseFraming();
    framing.begin(false);
    expect(framing.feed(Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"))).toBe("done");
    framing.begin(false);
    expect(framing.feed(Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nb\r\n"))).toBe("more");
    expect(framing.feed(Buffer.from("0\r\n\r\n"))).toBe("done");
  });
});

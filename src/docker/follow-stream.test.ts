import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { followStream, streamFailure, type StreamEvent } from "./follow-stream.js";

async function follow(chunks: readonly Buffer[]): Promise<{ events: StreamEvent[]; seen: StreamEvent[] }> {
  const stream = new PassThrough();
  const seen: StreamEvent[] = [];
  const followed = followStream(
    stream,
    (e) => seen.push(e),
    (error) => error,
  );
  for (const chunk of chunks) stream.write(chunk);
  stream.end();
  return { events: await followed, seen };
}

describe("followStream", () => {
  it("decodes a character cut in two across chunks", async () => {
    const line = Buffer.from(`${JSON.stringify({ stream: "Step 1/2 : RUN echo é" })}\n`);
    const cut = line.indexOf(Buffer.from("é")) + 1; // inside the two bytes of "é"
    const { events } = await follow([line.subarray(0, cut), line.subarray(cut)]);
    expect(events).toEqual([{ stream: "Step 1/2 : RUN echo é" }]);
  });

  it("tells each event as it comes and turns an unreadable line into an error event", async () => {
    const { events, seen } = await follow([Buffer.from('{"status":"a"}\n\nnot json\n{"aux":{"ID":"sha256:1"}}')]);
    expect(seen).toEqual([{ status: "a" }, { aux: { ID: "sha256:1" } }]);
    expect(events[1]).toEqual({ error: "unreadable engine message: not json" });
  });

  it("rejects with the caller's error when the stream fails", async () => {
    const stream = new PassThrough();
    const followed = followStream(
      stream,
      () => undefined,
      (error) => new Error(`wrapped: ${error.message}`),
    );
    stream.destroy(new Error("socket hang up"));
    await expect(followed).rejects.toThrow("wrapped: socket hang up");
  });
});

describe("streamFailure", () => {
  it.each<[string, StreamEvent[], string | null]>([
    ["none in a clean stream", [{ stream: "ok" }, { aux: { ID: "x" } }], null],
    [
      "the engine's own words from errorDetail",
      [{ stream: "ok" }, { error: "short", errorDetail: { message: "no space left on device" } }],
      "no space left on device",
    ],
    ["the error field without detail", [{ error: "failed" }], "failed"],
    ["a placeholder for an empty detail", [{ errorDetail: {} }], "unknown error"],
  ])("finds %s", (_name, events, expected) => {
    expect(streamFailure(events)).toBe(expected);
  });
});

import { PassThrough, type Readable, Writable } from "node:stream";
import { Parser, type ReadEntry } from "tar";
import { describeError } from "../errors.js";
import { type ImageArchiveFiles, normalizeArchiveName, SMALL_MEMBER_BYTES } from "./image-archive.js";
import { type TarSource, TarWriter } from "./tar-writer.js";

/** A `docker save` archive re-emitted without names, and what one pass over it saw. */
export interface UntagStream {
  /** Where image.tar's bytes are written, in order, as they arrive. */
  input: Writable;
  /** The archive for `docker load`: every member as it came, less anything that names an image. */
  output: Readable;
  /** What the pass saw (small files, counts, types, links), for checkImageArchive once `input` has finished. */
  files: ImageArchiveFiles;
  /**
   * Lets the end-of-archive marker out, once the archive was checked. Until then `output` stops short
   * of it, so an engine reading it never finishes a load: cut off there, it loads nothing.
   */
  release(): void;
}

/**
 * Re-emits a `docker save` archive so that loading it can never name anything in the engine (Engine
 * 20.10 silently moves a tag to the loaded image): the legacy `repositories` file is dropped,
 * manifest.json gets `RepoTags: null`, index.json loses the annotations that name images, whatever
 * order the members come in. Works on a live stream: the bytes flow through as they arrive, with
 * backpressure from `output` to `input`. Small members are kept in `files` in the same pass.
 */
export function untagStream(): UntagStream {
  const files: ImageArchiveFiles = { files: new Map(), counts: new Map(), types: new Map(), links: new Map(), corrupt: false };
  const output = new PassThrough({ highWaterMark: 1 << 20 });
  // A cut upload reaches its reader (the engine's load) as a failed request; the stream's own error,
  // emitted when nobody reads it any more (a truncated bundle ends the pass first), would crash mlx.
  output.on("error", () => undefined);
  const writer = new TarWriter(output, 0, undefined, false); // the bundle's pass hashes these bytes already
  let chain = Promise.resolve();
  let released!: () => void;
  const releasedSignal = new Promise<void>((resolve) => (released = resolve));
  const emit = (name: string, source: TarSource, mode: number, after?: () => void): void => {
    chain = chain.then(async () => {
      await writer.add({ name, source, mode });
      after?.();
    });
    // A write that fails (the upload was cut) is reported where the chain is awaited, at the end; a pass
    // stopped before then never awaits it, and an unawaited rejection would crash mlx.
    chain.catch(() => undefined);
  };
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      const name = entry.path;
      const key = normalizeArchiveName(name);
      const size = entry.size ?? 0;
      files.counts.set(key, (files.counts.get(key) ?? 0) + 1);
      files.types.set(key, entry.type);
      if (entry.type === "SymbolicLink" || entry.type === "Link") files.links.set(key, entry.linkpath ?? "");
      const mode = entry.mode ?? 0o644;
      if (entry.type === "Directory") return (emit(name, { kind: "dir" }, mode), entry.resume());
      // docker save's layer links pass; any other link is refused by the check before the archive ends.
      if (entry.type === "SymbolicLink") return (emit(name, { kind: "symlink", target: entry.linkpath ?? "" }, mode), entry.resume());
      if (entry.type !== "File" && entry.type !== "OldFile") return entry.resume();
      if (size > SMALL_MEMBER_BYTES) {
        // Written in order: the parser waits (backpressure) until the writer has taken this member.
        if (key === "manifest.json" || key === "index.json" || key === "repositories") return entry.resume();
        entry.pause();
        return emit(name, { kind: "stream", stream: entry as unknown as Readable, sizeBytes: size }, mode);
      }
      const chunks: Buffer[] = [];
      entry.on("data", (c: Buffer) => chunks.push(c));
      entry.on("end", () => {
        const data = Buffer.concat(chunks);
        files.files.set(key, data);
        const renamed = withoutNames(key, data);
        if (renamed) emit(name, { kind: "data", data: renamed }, mode);
      });
    },
  });
  parser.on("error", () => (files.corrupt = true));
  // An output closed before its end (the upload cut off) stops the input too: its writer waits no more.
  output.on("close", () => {
    if (!output.writableFinished) input.destroy(new Error("the image load stopped before image.tar ended"));
  });
  const input = new Writable({
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _encoding, done) {
      if (parser.write(chunk)) return done();
      parser.once("drain", () => done());
    },
    final(done) {
      parser.end(() => void chain.then(() => done(), done));
    },
    destroy(error, done) {
      // Also called once a finished input is closed: only a stop before the end cuts the output.
      if (error || !input.writableFinished) output.destroy(error ?? new Error("image.tar stream stopped"));
      done(error);
    },
  });
  // The marker goes out only when both the whole archive was re-emitted and the caller released it.
  void Promise.all([new Promise<void>((resolve, reject) => input.once("finish", resolve).once("error", reject)), releasedSignal])
    .then(() => chain)
    .then(() => writer.finish())
    .then(() => output.end())
    .catch((error: unknown) => output.destroy(error instanceof Error ? error : new Error(describeError(error))));
  return { input, output, files, release: () => released() };
}

/**
 * The bytes to send for a small member: `repositories` is dropped (null), manifest.json loses its
 * RepoTags, index.json its image-naming annotations; anything else is sent as it came. A manifest or
 * index that is not JSON is dropped: the check refuses it before the archive ends.
 */
function withoutNames(key: string, data: Buffer): Buffer | null {
  if (key === "repositories") return null;
  if (key !== "manifest.json" && key !== "index.json") return data;
  try {
    const parsed: unknown = JSON.parse(data.toString("utf8"));
    if (key === "manifest.json")
      return Array.isArray(parsed) ? Buffer.from(JSON.stringify(parsed.map((i: unknown) => ({ ...(i as object), RepoTags: null })))) : null;
    return Buffer.from(JSON.stringify(stripAnnotations(parsed)));
  } catch {
    return null;
  }
}

const NAMING = ["io.containerd.image.name", "org.opencontainers.image.ref.name"];

/** An OCI index without the annotations engines take image names from. */
function stripAnnotations(index: unknown): unknown {
  if (typeof index !== "object" || index === null) return index;
  const copy = { ...(index as Record<string, unknown>) };
  const strip = (o: unknown): unknown => {
    if (typeof o !== "object" || o === null || Array.isArray(o)) return o;
    const entry = { ...(o as Record<string, unknown>) };
    const annotations = entry["annotations"];
    if (typeof annotations === "object" && annotations !== null)
      entry["annotations"] = Object.fromEntries(Object.entries(annotations).filter(([k]) => !NAMING.includes(k)));
    return entry;
  };
  if (Array.isArray(copy["manifests"])) copy["manifests"] = copy["manifests"].map(strip);
  return strip(copy);
}

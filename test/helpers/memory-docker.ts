// A small in-memory DockerClient: lets pack and replay orchestration be tested without an engine.
// Images are real enough to round-trip: build derives the id from a config file, save writes a
// docker-save archive (manifest.json + config) whose config digest is that id, load reads one back.
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Parser, type ReadEntry } from "tar";
import { tarStreamOf } from "../../src/bundle/tar-writer.js";
import type { BuildOptions, ContainerIo, ContainerResult, ContainerSpec, DockerClient, PullEvent } from "../../src/docker/docker-client.js";
import { BadInputError, EnvironmentError } from "../../src/errors.js";

export interface MemoryImage {
  id: string;
  tags: string[];
  /** The build context's file names and contents (empty for a loaded image). */
  files: Map<string, Buffer>;
  /** "repo@sha256:..." for a pulled image; none for a built or imported one. */
  repoDigests?: string[];
}

export type RunBehaviour = (spec: ContainerSpec, io: ContainerIo) => Promise<Partial<ContainerResult>> | Partial<ContainerResult>;

export class MemoryDocker implements DockerClient {
  readonly images = new Map<string, MemoryImage>();
  readonly runs: ContainerSpec[] = [];
  readonly calls: string[] = [];
  reachable = true;
  /** Set to make the next build fail the way the engine reports it (inside the stream). */
  buildError: string | null = null;
  /** What a pull can fetch: tag -> manifest digest. A tag not here fails as an unreachable registry does. */
  readonly registry = new Map<string, string>();

  constructor(private readonly behaviour: RunBehaviour = () => ({ exitCode: 0 })) {}

  /** Adds an image under a tag, as `docker import` would (a base image). */
  addImage(tag: string): string {
    const id = `sha256:${createHash("sha256").update(tag).digest("hex")}`;
    this.images.set(id, { id, tags: [tag], files: new Map() });
    return id;
  }

  async ping(): Promise<{ version: string }> {
    this.calls.push("ping");
    if (!this.reachable) throw new EnvironmentError("Docker engine not reachable at memory (ECONNREFUSED)", "Start it.");
    return { version: "memory" };
  }

  async imageId(ref: string): Promise<string | null> {
    for (const image of this.images.values()) if (image.id === ref || image.tags.includes(ref)) return image.id;
    return null;
  }

  async inspectImage(ref: string): Promise<{ id: string; repoDigests: string[] } | null> {
    for (const image of this.images.values())
      if (image.id === ref || image.tags.includes(ref)) return { id: image.id, repoDigests: image.repoDigests ?? [] };
    return null;
  }

  async pull(ref: string, onEvent: (event: PullEvent) => void): Promise<void> {
    this.calls.push("pull");
    const digest = this.registry.get(ref);
    if (!digest) throw new EnvironmentError(`docker pull ${ref} failed: connection refused`, "Check the engine's registry settings.");
    onEvent({ id: "layer1", status: "Downloading", current: 50, total: 100 });
    onEvent({ id: "layer1", status: "Pull complete" });
    const id = this.addImage(ref);
    this.images.get(id)!.repoDigests = [`${ref.replace(/:[^:/]*$/, "")}@${digest}`];
  }

  async build(context: Readable, options: BuildOptions): Promise<string> {
    this.calls.push("build");
    const files = await readTar(context);
    if (this.buildError)
      throw new BadInputError(`image build failed: ${this.buildError}`, "The builder's message above names the failing step.");
    const dockerfile = files.get("Dockerfile")?.toString("utf8") ?? "";
    options.onStep(`Step 1/1 : ${dockerfile.split("\n").find((l) => l.startsWith("FROM")) ?? "FROM scratch"}`);
    const id = configId(configOf(files, options.labels));
    this.images.set(id, { id, tags: [], files });
    return id;
  }

  async save(imageId: string, file: string, onBytes: (bytes: number) => void): Promise<void> {
    this.calls.push("save");
    const image = this.images.get(imageId);
    if (!image) throw new EnvironmentError(`no such image ${imageId}`, "Build it first.");
    const config = configOf(image.files, {});
    const hex = configId(config).slice("sha256:".length);
    const manifest = Buffer.from(JSON.stringify([{ Config: `${hex}.json`, RepoTags: null, Layers: [] }]));
    const entries = [
      { name: `${hex}.json`, source: { kind: "data" as const, data: config }, mode: 0o644 },
      { name: "manifest.json", source: { kind: "data" as const, data: manifest }, mode: 0o644 },
    ];
    const out = createWriteStream(file);
    let bytes = 0;
    const stream = tarStreamOf(entries, 0);
    stream.on("data", (chunk: Buffer) => onBytes((bytes += chunk.length)));
    await pipeline(stream, out);
  }

  async load(archive: Readable): Promise<void> {
    this.calls.push("load");
    const files = await readTar(archive);
    const manifest = JSON.parse(files.get("manifest.json")?.toString("utf8") ?? "[]") as Array<{
      Config: string;
      RepoTags: string[] | null;
    }>;
    for (const image of manifest) {
      const config = files.get(image.Config);
      if (!config) throw new BadInputError(`image.tar could not be loaded: config ${image.Config} missing`, "Ask for a new bundle.");
      const id = configId(config);
      this.images.set(id, { id, tags: image.RepoTags ?? [], files: new Map() });
    }
  }

  async removeImage(imageId: string): Promise<void> {
    this.calls.push("removeImage");
    this.images.delete(imageId);
  }

  async run(spec: ContainerSpec, io: ContainerIo): Promise<ContainerResult> {
    this.calls.push("run");
    if (!this.images.has(spec.imageId))
      throw new EnvironmentError(`the engine refused the container: no such image ${spec.imageId}`, "Check the engine.");
    this.runs.push(spec);
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      Promise.resolve(this.behaviour(spec, io)),
      io.interrupted.then((signal) => ({ exitCode: 130, interruptedBy: signal })),
      // Stopped at the time limit, as the engine adapter does.
      new Promise<Partial<ContainerResult>>(
        (resolve) => (timer = setTimeout(() => resolve({ exitCode: 137, timedOut: true }), spec.timeoutMs)),
      ),
    ]);
    clearTimeout(timer);
    return { containerId: `memory-${this.runs.length}`, exitCode: 0, oomKilled: false, ...outcome };
  }
}

function configOf(files: Map<string, Buffer>, labels: Record<string, string>): Buffer {
  const digest = createHash("sha256");
  for (const name of [...files.keys()].sort()) digest.update(name).update("\0").update(files.get(name)!);
  return Buffer.from(
    JSON.stringify({ architecture: "memory", config: { Labels: labels }, rootfs: { diff_ids: [`sha256:${digest.digest("hex")}`] } }),
  );
}

function configId(config: Buffer): string {
  return `sha256:${createHash("sha256").update(config).digest("hex")}`;
}

async function readTar(stream: Readable): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      const chunks: Buffer[] = [];
      entry.on("data", (c: Buffer) => chunks.push(c));
      entry.on("end", () => files.set(entry.path, Buffer.concat(chunks)));
    },
  });
  await pipeline(stream, parser);
  return files;
}

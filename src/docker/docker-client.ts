import { createWriteStream } from "node:fs";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import Docker from "dockerode";
import { BadInputError, EnvironmentError } from "../errors.js";
import { LineSplitter } from "../primitives/line-splitter.js";
import { dockerSocketPath } from "./engine-version.js";

/** What pack and replay need from a Docker engine; DockerodeClient is the real one. */
export interface DockerClient {
  /** Fails with EnvironmentError (exit 3) saying how to start an engine. */
  ping(): Promise<{ version: string }>;
  /** The image id of a tag or id, or null when the engine lacks it. */
  imageId(ref: string): Promise<string | null>;
  build(context: Readable, options: BuildOptions): Promise<string>;
  save(imageId: string, file: string, onBytes: (bytes: number) => void): Promise<void>;
  /** Loads a docker-save stream; errors reported inside the stream become BadInputError with Docker's words. */
  load(archive: Readable): Promise<void>;
  removeImage(imageId: string): Promise<void>;
  /** Runs a container to its end with the given spec, streaming its output; removes it unless `keep`. */
  run(spec: ContainerSpec, io: ContainerIo): Promise<ContainerResult>;
}

export interface ContainerSpec {
  imageId: string;
  argv: readonly string[];
  workdir: string;
  env: Record<string, string>;
  /** host:container[:ro] */
  binds: string[];
  network: boolean;
  cpus: number;
  memoryBytes: number;
  pidsLimit: number;
  /** "all", a count, or null for none. */
  gpus: "all" | number | null;
  keep: boolean;
  labels: Record<string, string>;
}

export interface ContainerIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Resolves when the reviewer interrupts: the container is then stopped and removed. */
  interrupted: Promise<NodeJS.Signals>;
}

export interface ContainerResult {
  containerId: string;
  exitCode: number;
  oomKilled: boolean;
  interruptedBy?: NodeJS.Signals;
}

/** The user every replay runs as: nobody, never root. */
export const REPLAY_USER = "65534:65534";

export interface BuildOptions {
  labels: Record<string, string>;
  onStep: (line: string) => void;
}

interface StreamEvent {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

const START_HINT = "Start it (sudo dockerd &, or bash scripts/setup-docker.sh), or point DOCKER_HOST at a running engine.";

export class DockerodeClient implements DockerClient {
  private readonly docker = new Docker(); // honours DOCKER_HOST=unix://...

  async ping(): Promise<{ version: string }> {
    try {
      const info = await this.docker.version();
      return { version: info.Version };
    } catch (error) {
      throw unreachable(error);
    }
  }

  async imageId(ref: string): Promise<string | null> {
    try {
      return (await this.docker.getImage(ref).inspect()).Id;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return null;
      throw unreachable(error);
    }
  }

  async build(context: Readable, options: BuildOptions): Promise<string> {
    let stream: NodeJS.ReadableStream;
    try {
      // No pull: no registry is asked (the base image is checked beforehand). rm/forcerm: no
      // intermediate containers are left, even after a failed step.
      stream = await this.docker.buildImage(context as unknown as NodeJS.ReadableStream, { labels: options.labels, rm: true, forcerm: true });
    } catch (error) {
      throw unreachable(error);
    }
    const events = await followStream(stream, (event) => {
      const line = event.stream?.trim();
      if (line) options.onStep(line);
    });
    const failed = events.find((e) => e.error || e.errorDetail);
    if (failed) {
      const message = failed.errorDetail?.message ?? failed.error ?? "unknown error";
      // Docker reports build failures inside the stream of a 200 response, not in its status.
      if (/no space left on device/i.test(message)) throw new EnvironmentError(`image build failed: ${message}`, "Free disk space for Docker's data root and pack again.");
      throw new BadInputError(`image build failed: ${message}`, "The builder's message above names the failing step.");
    }
    const id = [...events].reverse().find((e) => e.aux?.ID)?.aux?.ID;
    if (!id) throw new EnvironmentError("image build ended without an image id", "Check the engine's log (/var/log/mlx-dockerd.log).");
    return id;
  }

  async save(imageId: string, file: string, onBytes: (bytes: number) => void): Promise<void> {
    let source: NodeJS.ReadableStream;
    try {
      source = await this.docker.getImage(imageId).get();
    } catch (error) {
      throw unreachable(error);
    }
    let bytes = 0;
    (source as Readable).on("data", (chunk: Buffer) => onBytes((bytes += chunk.length)));
    try {
      await pipeline(source as Readable, createWriteStream(file));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOSPC") throw new EnvironmentError(`no space left while saving the image to ${file}`, "Free disk space there and pack again.", { cause: error });
      throw new EnvironmentError(`saving image ${imageId} failed: ${(error as Error).message}`, START_HINT, { cause: error });
    }
  }

  async load(archive: Readable): Promise<void> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.loadImage(archive as unknown as NodeJS.ReadableStream, { quiet: true });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode) throw new BadInputError(`docker load refused image.tar: ${(error as Error).message}`, "The bundle's image is corrupt; ask for a new bundle.");
      throw unreachable(error);
    }
    const events = await followStream(stream, () => undefined);
    const failed = events.find((e) => e.error || e.errorDetail);
    if (failed) {
      const message = failed.errorDetail?.message ?? failed.error ?? "unknown error";
      if (/no space left on device/i.test(message)) throw new EnvironmentError(`docker load failed: ${message}`, "Free disk space for Docker's data root.");
      // Load failures, like build failures, come inside the stream of a 200 response.
      throw new BadInputError(`image.tar could not be loaded: ${message}`, "The bundle's image is corrupt; ask for a new bundle.");
    }
  }

  async removeImage(imageId: string): Promise<void> {
    await this.docker.getImage(imageId).remove({ force: true }).catch(() => undefined);
  }

  async run(spec: ContainerSpec, io: ContainerIo): Promise<ContainerResult> {
    const [entrypoint, ...args] = spec.argv;
    let container: Docker.Container;
    try {
      container = await this.docker.createContainer({
        Image: spec.imageId,
        // An explicit entrypoint: the image's own ENTRYPOINT never runs first (R27).
        Entrypoint: [entrypoint!],
        Cmd: args,
        WorkingDir: spec.workdir,
        User: REPLAY_USER,
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        Labels: spec.labels,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
        NetworkDisabled: !spec.network,
        HostConfig: {
          NetworkMode: spec.network ? "bridge" : "none",
          CapDrop: ["ALL"],
          SecurityOpt: ["no-new-privileges"],
          ReadonlyRootfs: true,
          Privileged: false,
          Tmpfs: { "/tmp": "rw,noexec,nosuid,nodev,size=1g" },
          Binds: spec.binds,
          PidsLimit: spec.pidsLimit,
          Memory: spec.memoryBytes,
          MemorySwap: spec.memoryBytes,
          NanoCpus: Math.round(spec.cpus * 1e9),
          ...(spec.gpus === null ? {} : { DeviceRequests: [{ Driver: "", Count: spec.gpus === "all" ? -1 : spec.gpus, Capabilities: [["gpu"]] }] }),
        },
      });
    } catch (error) {
      throw containerError(error);
    }
    let interruptedBy: NodeJS.Signals | undefined;
    try {
      const stream = await container.attach({ stream: true, stdout: true, stderr: true });
      const ended = new Promise<void>((resolve) => stream.on("end", () => resolve()));
      container.modem.demuxStream(stream, io.stdout, io.stderr);
      try {
        await container.start();
      } catch (error) {
        throw containerError(error);
      }
      const waited = container.wait() as Promise<{ StatusCode: number }>;
      const outcome = await Promise.race([waited.then((w) => ({ code: w.StatusCode })), io.interrupted.then((signal) => ({ signal }))]);
      if ("signal" in outcome) {
        interruptedBy = outcome.signal;
        await container.stop({ t: 5 }).catch(() => undefined);
      }
      const { StatusCode } = await waited;
      await Promise.race([ended, new Promise((r) => setTimeout(r, 2000))]);
      const state = (await container.inspect()).State;
      return { containerId: container.id, exitCode: StatusCode, oomKilled: state.OOMKilled === true, ...(interruptedBy ? { interruptedBy } : {}) };
    } finally {
      // v: true removes anonymous volumes too (R28).
      if (!spec.keep || interruptedBy) await container.remove({ force: true, v: true }).catch(() => undefined);
    }
  }
}

function containerError(error: unknown): Error {
  const message = (error as Error).message ?? String(error);
  if (/could not select device driver|nvidia/i.test(message)) {
    return new EnvironmentError(`the Docker engine has no GPU runtime: ${message.split("\n")[0]}`, "Install the NVIDIA container toolkit on this host, or replay without --gpus.");
  }
  if ((error as { statusCode?: number }).statusCode) return new EnvironmentError(`the engine refused the container: ${message}`, "Check the engine's log.");
  return unreachable(error);
}

/** Reads every event of a progress stream: dockerode's followProgress reports success even when one carries errorDetail. */
function followStream(stream: NodeJS.ReadableStream, onEvent: (event: StreamEvent) => void): Promise<StreamEvent[]> {
  return new Promise((resolve, reject) => {
    const events: StreamEvent[] = [];
    const take = (line: string): void => {
      if (!line.trim()) return;
      try {
        const event = JSON.parse(line) as StreamEvent;
        events.push(event);
        onEvent(event);
      } catch {
        events.push({ error: `unreadable engine message: ${line.slice(0, 200)}` });
      }
    };
    // Decoded across chunks: a build step's output may cut a UTF-8 character in two.
    const splitter = new LineSplitter(take, { maxLineChars: 16 * 1024 * 1024 });
    stream.on("data", (chunk: Buffer) => splitter.push(chunk));
    stream.on("end", () => {
      splitter.end();
      resolve(events);
    });
    stream.on("error", (error: Error) => reject(unreachable(error)));
  });
}

export function unreachable(error: unknown): EnvironmentError {
  const code = (error as NodeJS.ErrnoException).code;
  const where = dockerSocketPath() ?? process.env["DOCKER_HOST"] ?? "the Docker host";
  const detail = code ?? (error as Error).message;
  return new EnvironmentError(`Docker engine not reachable at ${where} (${detail})`, START_HINT, { cause: error });
}

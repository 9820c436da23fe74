import { createWriteStream } from "node:fs";
import { pipeline as streamPipeline, type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import Docker from "dockerode";
import { BadInputError, describeError, EnvironmentError } from "../errors.js";
import { renderContainerConfig, startFailure } from "./container-config.js";
import { dockerSocketPath } from "./engine-version.js";
import { followStream, type StreamEvent, streamFailure } from "./follow-stream.js";

/** What pack and replay need from a Docker engine; DockerodeClient is the real one. */
export interface DockerClient {
  /** Fails with EnvironmentError (exit 3) saying how to start an engine. */
  ping(): Promise<{ version: string }>;
  /** The image id of a tag or id, or null when the engine lacks it. */
  imageId(ref: string): Promise<string | null>;
  /** The image's id and its registry digests (RepoDigests: "repo@sha256:..."), or null when the engine lacks it. */
  inspectImage(ref: string): Promise<{ id: string; repoDigests: string[] } | null>;
  /** Pulls `ref` from the engine's configured registry; a failure (no registry, no such tag) is EnvironmentError with Docker's words. */
  pull(ref: string, onEvent: (event: PullEvent) => void): Promise<void>;
  build(context: Readable, options: BuildOptions): Promise<string>;
  save(imageId: string, file: string, onBytes: (bytes: number) => void): Promise<void>;
  /**
   * Loads a docker-save stream; errors reported inside the stream become BadInputError with Docker's words.
   * `onLoaded` is told each image id the engine says it loaded ("Loaded image ID: sha256:...").
   */
  load(archive: Readable, onBytes?: (bytes: number) => void, onLoaded?: (imageId: string) => void): Promise<void>;
  removeImage(imageId: string): Promise<void>;
  /** Runs a container to its end with the given spec, streaming its output; removes it unless `keep`. */
  run(spec: ContainerSpec, io: ContainerIo): Promise<ContainerResult>;
}

/** One progress event of a pull: a layer's status ("Downloading", "Pull complete") and its bytes so far. */
export interface PullEvent {
  id?: string;
  status: string;
  current?: number;
  total?: number;
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
  /** The container is stopped when it runs this long. */
  timeoutMs: number;
  /** The largest file any process in the container may write (RLIMIT_FSIZE). */
  fileSizeBytes: number;
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
  /** Set when the container was stopped at spec.timeoutMs. */
  timedOut?: boolean;
}

export interface BuildOptions {
  labels: Record<string, string>;
  /** The network of the build's RUN steps: "none" for an untrusted Dockerfile; pack's own builds use the default. */
  network?: "none" | "default";
  onStep: (line: string) => void;
  /** The builder's "Step N/M": N - 1 of M steps done, for a progress bar. */
  onProgress?: (done: number, total: number) => void;
}

const START_HINT = "Start it (sudo dockerd &), or point DOCKER_HOST at a running engine.";

export class DockerodeClient implements DockerClient {
  private readonly docker: Docker;
  /** Where the engine is, for messages: its socket, DOCKER_HOST, or a phrase. */
  private readonly where: string;
  /** When it aborts (Ctrl-C), a load or build in flight stops and rejects with its reason. */
  private readonly signal: AbortSignal | undefined;

  /**
   * `env` is the caller's environment (DOCKER_HOST). A unix socket is passed to dockerode as is; any
   * other host (tcp://, with its TLS variables) is left to dockerode, which reads them itself. The
   * default, mlx's own environment, is for callers that do not pass one yet.
   */
  constructor(env: NodeJS.ProcessEnv, options: { signal?: AbortSignal } = {}) {
    this.signal = options.signal;
    const socketPath = dockerSocketPath(env);
    this.docker = socketPath ? new Docker({ socketPath }) : new Docker();
    this.where = socketPath ?? env["DOCKER_HOST"] ?? "the Docker host";
  }

  async ping(): Promise<{ version: string }> {
    try {
      const info = await this.docker.version();
      return { version: info.Version };
    } catch (error) {
      throw this.unreachable(error);
    }
  }

  async imageId(ref: string): Promise<string | null> {
    try {
      return (await this.docker.getImage(ref).inspect()).Id;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return null;
      throw this.unreachable(error);
    }
  }

  async inspectImage(ref: string): Promise<{ id: string; repoDigests: string[] } | null> {
    try {
      const info = await this.docker.getImage(ref).inspect();
      return { id: info.Id, repoDigests: info.RepoDigests ?? [] };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return null;
      throw this.unreachable(error);
    }
  }

  async pull(ref: string, onEvent: (event: PullEvent) => void): Promise<void> {
    const failed = (message: string, cause?: unknown): EnvironmentError =>
      new EnvironmentError(`docker pull ${ref} failed: ${message}`, "Check the engine's registry settings.", cause ? { cause } : {});
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.pull(ref, this.signal ? { abortSignal: this.signal } : {});
    } catch (error) {
      // The engine answers 404/500 when no registry answers or the tag does not exist.
      if ((error as { statusCode?: number }).statusCode)
        throw failed(describeError(error).replace(/^\(HTTP code \d+\) [^-]*- /, ""), error);
      throw this.signal?.aborted ? this.signal.reason : this.unreachable(error);
    }
    await this.unlessAborted(() =>
      this.followOrFail(
        stream,
        (event) => {
          const e = event as StreamEvent & { id?: string; progressDetail?: { current?: number; total?: number } };
          if (!e.status) return;
          onEvent({
            status: e.status,
            ...(e.id ? { id: e.id } : {}),
            ...(e.progressDetail?.total ? { current: e.progressDetail.current ?? 0, total: e.progressDetail.total } : {}),
          });
        },
        (message) => failed(message),
      ),
    );
  }

  async build(context: Readable, options: BuildOptions): Promise<string> {
    this.signal?.throwIfAborted();
    let stream: NodeJS.ReadableStream;
    try {
      // No pull: no registry is asked (the base image is checked beforehand). rm/forcerm: no
      // intermediate containers are left, even after a failed step.
      stream = await this.docker.buildImage(context as unknown as NodeJS.ReadableStream, {
        labels: options.labels,
        ...(options.network === "none" ? { networkmode: "none" } : {}),
        rm: true,
        forcerm: true,
        // Aborting the request cancels the build in the engine; forcerm removes its containers.
        ...(this.signal ? { abortSignal: this.signal } : {}),
      });
    } catch (error) {
      throw this.signal?.aborted ? this.signal.reason : this.unreachable(error);
    }
    const events = await this.unlessAborted(() =>
      this.followOrFail(
        stream,
        (event) => {
          const line = event.stream?.trim();
          if (line) options.onStep(line);
          const step = line ? /^Step (\d+)\/(\d+) :/.exec(line) : null;
          if (step) options.onProgress?.(Number(step[1]) - 1, Number(step[2]));
        },
        (message) => new BadInputError(`image build failed: ${message}`, "The builder's message above names the failing step."),
      ),
    );
    const id = [...events].reverse().find((e) => e.aux?.ID)?.aux?.ID;
    if (!id) throw new EnvironmentError("image build ended without an image id", "Check the engine's log.");
    return id;
  }

  async save(imageId: string, file: string, onBytes: (bytes: number) => void): Promise<void> {
    let source: NodeJS.ReadableStream;
    try {
      source = await this.docker.getImage(imageId).get();
    } catch (error) {
      throw this.unreachable(error);
    }
    let bytes = 0;
    (source as Readable).on("data", (chunk: Buffer) => onBytes((bytes += chunk.length)));
    try {
      await pipeline(source as Readable, createWriteStream(file));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOSPC")
        throw new EnvironmentError(`no space left while saving the image to ${file}`, "Free disk space there and pack again.", {
          cause: error,
        });
      throw new EnvironmentError(`saving image ${imageId} failed: ${describeError(error)}`, START_HINT, { cause: error });
    }
  }

  async load(archive: Readable, onBytes?: (bytes: number) => void, onLoaded?: (imageId: string) => void): Promise<void> {
    const signal = this.signal;
    signal?.throwIfAborted();
    const source = onBytes ? countBytes(archive, onBytes) : archive;
    // Cut off mid-upload, a load leaves nothing in the engine. Once the whole archive is sent the engine
    // finishes the load whatever the client does: it is then awaited, so that the caller can remove it.
    const upload = new AbortController();
    let sent = false;
    archive.once("end", () => (sent = true));
    const onAbort = (): void => {
      if (sent) return;
      archive.destroy();
      source.destroy();
      upload.abort(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      await this.unlessAborted(() => this.loadArchive(source, upload.signal, onLoaded));
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  private async loadArchive(archive: Readable, abortSignal: AbortSignal, onLoaded?: (imageId: string) => void): Promise<void> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.loadImage(archive as unknown as NodeJS.ReadableStream, { quiet: true, abortSignal });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode)
        throw new BadInputError(
          `docker load refused image.tar: ${describeError(error)}`,
          "The bundle's image is corrupt; ask for a new bundle.",
        );
      throw this.unreachable(error);
    }
    await this.followOrFail(
      stream,
      (event) => {
        const loaded = /Loaded image ID: (sha256:[0-9a-f]{64})/.exec(event.stream ?? "");
        if (loaded) onLoaded?.(loaded[1]!);
      },
      (message) => new BadInputError(`image.tar could not be loaded: ${message}`, "The bundle's image is corrupt; ask for a new bundle."),
    );
  }

  async removeImage(imageId: string): Promise<void> {
    await this.docker
      .getImage(imageId)
      .remove({ force: true })
      .catch(() => undefined);
  }

  async run(spec: ContainerSpec, io: ContainerIo): Promise<ContainerResult> {
    let container: Docker.Container;
    try {
      container = await this.docker.createContainer(renderContainerConfig(spec));
    } catch (error) {
      throw this.containerError(error);
    }
    let interruptedBy: NodeJS.Signals | undefined;
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    try {
      const stream = await container.attach({ stream: true, stdout: true, stderr: true });
      const ended = new Promise<void>((resolve) => stream.on("end", () => resolve()));
      container.modem.demuxStream(stream, io.stdout, io.stderr);
      try {
        await container.start();
      } catch (error) {
        // The command never ran: a command the image lacks is the bundle's fault (exit 2).
        throw startFailure(describeError(error), spec.argv[0] ?? "") ?? this.containerError(error);
      }
      const waited = container.wait() as Promise<{ StatusCode: number }>;
      const timeout = new Promise<{ timeout: true }>((resolve) => {
        timer = setTimeout(() => resolve({ timeout: true }), spec.timeoutMs);
      });
      const outcome = await Promise.race([
        waited.then((w) => ({ code: w.StatusCode })),
        io.interrupted.then((signal) => ({ signal })),
        timeout,
      ]);
      if ("signal" in outcome) interruptedBy = outcome.signal;
      if ("timeout" in outcome) timedOut = true;
      if (!("code" in outcome)) await container.stop({ t: 5 }).catch(() => undefined);
      const { StatusCode } = await waited;
      await Promise.race([ended, new Promise((r) => setTimeout(r, 2000))]);
      const state = (await container.inspect()).State;
      return {
        containerId: container.id,
        exitCode: StatusCode,
        oomKilled: state.OOMKilled === true,
        ...(interruptedBy ? { interruptedBy } : {}),
        ...(timedOut ? { timedOut } : {}),
      };
    } finally {
      clearTimeout(timer);
      // v: true removes anonymous volumes too: nothing the run wrote outlives it.
      if (!spec.keep || interruptedBy) await container.remove({ force: true, v: true }).catch(() => undefined);
    }
  }

  /** Imports a root filesystem tar as an image under `tag` (docker import); resolves with its id. */
  async importRootfs(archive: NodeJS.ReadableStream, tag: string): Promise<string> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.importImage(archive, splitImageRef(tag));
    } catch (error) {
      throw this.unreachable(error);
    }
    await this.followOrFail(
      stream,
      () => undefined,
      (message) => new EnvironmentError(`docker import of ${tag} failed: ${message}`, "Check the engine's log."),
    );
    const id = await this.imageId(tag);
    if (id === null) throw new EnvironmentError(`docker import ended without image ${tag}`, "Check the engine's log.");
    return id;
  }

  /** `work`'s result; when this client's signal aborted meanwhile, its reason instead of the error it caused. */
  private async unlessAborted<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (this.signal?.aborted) throw this.signal.reason;
      throw error;
    }
  }

  /**
   * Reads a progress stream to its end. Docker reports build, load and import failures inside the
   * stream of a 200 response, not in its status: such a failure becomes `refused(message)`, or exit 3
   * when the engine's disk is full.
   */
  private async followOrFail(
    stream: NodeJS.ReadableStream,
    onEvent: (event: StreamEvent) => void,
    refused: (message: string) => Error,
  ): Promise<StreamEvent[]> {
    const events = await followStream(stream, onEvent, (error) => this.unreachable(error));
    const message = streamFailure(events);
    if (message === null) return events;
    if (/no space left on device/i.test(message))
      throw new EnvironmentError(`the engine ran out of disk space: ${message}`, "Free disk space for Docker's data root.");
    throw refused(message);
  }

  private containerError(error: unknown): Error {
    const message = describeError(error);
    if (/could not select device driver|nvidia/i.test(message)) {
      const first = message.split("\n")[0];
      return new EnvironmentError(
        `the Docker engine has no GPU runtime: ${first}`,
        "Install the NVIDIA container toolkit on this host, or replay without --gpus.",
      );
    }
    if ((error as { statusCode?: number }).statusCode)
      return new EnvironmentError(`the engine refused the container: ${message}`, "Check the engine's log.");
    return this.unreachable(error);
  }

  private unreachable(error: unknown): EnvironmentError {
    const detail = (error as NodeJS.ErrnoException).code ?? describeError(error);
    return new EnvironmentError(`Docker engine not reachable at ${this.where} (${detail})`, START_HINT, { cause: error });
  }
}

/** `source` passed through as is, `onBytes` told the bytes so far: the progress of an upload. */
function countBytes(source: Readable, onBytes: (bytes: number) => void): Readable {
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      onBytes((bytes += chunk.length));
      done(null, chunk);
    },
  });
  // An error of the source (a read failure) fails the upload too, as it would without the counter.
  streamPipeline(source, counter, () => undefined);
  return counter;
}

/** "repo/name:tag" as the engine's import wants it: the tag after the last colon of the last path part. */
export function splitImageRef(ref: string): { repo: string; tag: string } {
  const colon = ref.lastIndexOf(":");
  return colon > ref.lastIndexOf("/") ? { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) } : { repo: ref, tag: "latest" };
}

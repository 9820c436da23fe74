import { stat } from "node:fs/promises";

/** The Docker socket mlx talks to: DOCKER_HOST=unix://... or the default; undefined for another kind of host (tcp://). */
export function dockerSocketPath(env: NodeJS.ProcessEnv): string | undefined {
  const host = env["DOCKER_HOST"];
  if (!host) return "/var/run/docker.sock";
  return host.startsWith("unix://") ? host.slice("unix://".length) : undefined;
}

/**
 * The engine's version from GET /version on its socket: one small request, where `docker version`
 * starts a whole client. Rejects when no engine answers within `timeoutMs`. `env` is the caller's
 * environment (DOCKER_HOST); the default, mlx's own, is for callers that do not pass one yet.
 */
export async function probeEngineVersion(timeoutMs: number, env: NodeJS.ProcessEnv): Promise<string> {
  const socketPath = dockerSocketPath(env);
  if (!socketPath) throw new Error("DOCKER_HOST is not a unix socket; version not probed");
  // No socket, no engine: say so without loading node:http (~10 ms of every capture on a host without Docker).
  if (
    !(await stat(socketPath).then(
      (s) => s.isSocket(),
      () => false,
    ))
  )
    throw new Error(`Docker engine not reachable: no socket at ${socketPath}`);
  // One HTTP/1.0 request on a raw socket: node:http alone costs ~10 ms to load, on every capture.
  const { connect } = await import("node:net");
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error(`no answer from ${socketPath} within ${timeoutMs} ms`)), timeoutMs);
    socket.on("connect", () => socket.write("GET /version HTTP/1.0\r\nHost: docker\r\n\r\n"));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(`Docker engine not reachable at ${socketPath} (${error.code ?? error.message})`));
    });
    socket.on("end", () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString("utf8");
      const body = text.slice(text.indexOf("\r\n\r\n") + 4);
      try {
        const version = (JSON.parse(body) as { Version?: string }).Version;
        if (version) resolve(version);
        else reject(new Error(`unexpected answer from ${socketPath}/version`));
      } catch {
        reject(new Error(`unexpected answer from ${socketPath}/version: ${text.split("\r\n")[0]}`));
      }
    });
  });
}

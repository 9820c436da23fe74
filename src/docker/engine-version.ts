import { stat } from "node:fs/promises";

/** The Docker socket mlx talks to: DOCKER_HOST=unix://... or the default. */
export function dockerSocketPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const host = env["DOCKER_HOST"];
  if (!host) return "/var/run/docker.sock";
  return host.startsWith("unix://") ? host.slice("unix://".length) : undefined;
}

/**
 * The engine's version from GET /version on its socket: one small request, where `docker version`
 * starts a whole client. Rejects when no engine answers within `timeoutMs`.
 */
export async function probeEngineVersion(timeoutMs: number): Promise<string> {
  const socketPath = dockerSocketPath();
  if (!socketPath) throw new Error("DOCKER_HOST is not a unix socket; version not probed");
  // No socket, no engine: say so without loading node:http (~10 ms of every capture on a host without Docker).
  if (!(await stat(socketPath).then((s) => s.isSocket(), () => false))) throw new Error(`Docker engine not reachable: no socket at ${socketPath}`);
  const { request } = await import("node:http");
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: "/version", timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => {
        try {
          const version = (JSON.parse(body) as { Version?: string }).Version;
          if (version) resolve(version);
          else reject(new Error(`unexpected answer from ${socketPath}/version`));
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
    req.on("timeout", () => req.destroy(new Error(`no answer from ${socketPath} within ${timeoutMs} ms`)));
    req.on("error", (error: NodeJS.ErrnoException) => reject(new Error(`Docker engine not reachable at ${socketPath} (${error.code ?? error.message})`)));
    req.end();
  });
}

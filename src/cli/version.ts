import { readFileSync } from "node:fs";

/** mlx's own version, from its package.json (recorded in every record and bundle). */
export const MLX_VERSION = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string })
  .version;

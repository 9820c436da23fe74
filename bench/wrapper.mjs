// The floor for any Node CLI that runs a command: start node, spawn, wait. mlx's own cost is
// `mlx capture` minus this (node alone takes ~100 ms to start on the 2-core machine measured).
import { spawn } from "node:child_process";
const [cmd, ...args] = process.argv.slice(2);
spawn(cmd, args, { stdio: "inherit" }).on("exit", (code) => process.exit(code ?? 1));

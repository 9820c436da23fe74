import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { signalInterrupts } from "./signal-interrupts.js";

describe("signalInterrupts", () => {
  it("relays each signal to every handler through one listener a signal, and lets go when the last handler leaves", () => {
    const target = new EventEmitter();
    const source = signalInterrupts(["SIGINT", "SIGTERM"], target);
    const seen: string[] = [];
    const a = (s: NodeJS.Signals): void => void seen.push(`a:${s}`);
    const b = (s: NodeJS.Signals): void => void seen.push(`b:${s}`);
    source.on(a);
    source.on(b);
    expect(target.listenerCount("SIGINT")).toBe(1);
    target.emit("SIGTERM", "SIGTERM");
    source.off(a);
    target.emit("SIGINT", "SIGINT");
    expect(seen).toEqual(["a:SIGTERM", "b:SIGTERM", "b:SIGINT"]);
    source.off(b);
    expect([target.listenerCount("SIGINT"), target.listenerCount("SIGTERM")]).toEqual([0, 0]);
  });

  it("lets a handler leave while a signal is being relayed without skipping the others", () => {
    const target = new EventEmitter();
    const source = signalInterrupts(["SIGINT"], target);
    const seen: string[] = [];
    const once = (): void => {
      seen.push("once");
      source.off(once);
    };
    source.on(once);
    source.on(() => void seen.push("trial"));
    target.emit("SIGINT", "SIGINT");
    target.emit("SIGINT", "SIGINT");
    expect(seen).toEqual(["once", "trial", "trial"]);
  });

  it("ignores the removal of a handler it never had", () => {
    const target = new EventEmitter();
    const source = signalInterrupts(["SIGINT"], target);
    source.on(() => undefined);
    source.off(() => undefined);
    expect(target.listenerCount("SIGINT")).toBe(1);
  });
});

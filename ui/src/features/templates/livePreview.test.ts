import { describe, expect, it } from "vitest";
import { RenderQueue } from "./livePreview";

/** A render that finishes when the test says. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((yes, no) => ((resolve = yes), (reject = no)));
  return { promise, resolve, reject };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe("RenderQueue", () => {
  it("renders at once when idle", async () => {
    const shown: string[] = [];
    const queue = new RenderQueue<string>((v) => shown.push(v), () => {});
    let started = 0;
    queue.request(() => (started++, Promise.resolve("a")));
    expect(started).toBe(1);
    await settle();
    expect(shown).toEqual(["a"]);
  });

  it("keeps only the newest request while one renders, and shows every result in order", async () => {
    const shown: string[] = [];
    const queue = new RenderQueue<string>((v) => shown.push(v), () => {});
    const first = deferred<string>();
    const started: string[] = [];
    queue.request(() => (started.push("1"), first.promise));
    queue.request(() => (started.push("2"), Promise.resolve("2")));
    queue.request(() => (started.push("3"), Promise.resolve("3")));
    expect(started).toEqual(["1"]);
    first.resolve("1");
    await settle();
    // The second edit was overtaken by the third before it could start: never drawn.
    expect(started).toEqual(["1", "3"]);
    expect(shown).toEqual(["1", "3"]);
  });

  it("hands on errors and goes on with the next render", async () => {
    const shown: string[] = [];
    const errors: unknown[] = [];
    const queue = new RenderQueue<string>((v) => shown.push(v), (e) => errors.push(e));
    const failing = deferred<string>();
    queue.request(() => failing.promise);
    queue.request(() => {
      throw new Error("thrown before a promise");
    });
    failing.reject(new Error("bad template"));
    await settle();
    queue.request(() => Promise.resolve("fixed"));
    await settle();
    expect(errors.map((e) => (e as Error).message)).toEqual(["bad template", "thrown before a promise"]);
    expect(shown).toEqual(["fixed"]);
  });

  it("shows nothing once stopped (the editor closed)", async () => {
    const shown: string[] = [];
    const queue = new RenderQueue<string>((v) => shown.push(v), () => {});
    const slow = deferred<string>();
    queue.request(() => slow.promise);
    queue.request(() => Promise.resolve("waiting"));
    queue.stop();
    slow.resolve("late");
    await settle();
    expect(shown).toEqual([]);
    queue.start();
    queue.request(() => Promise.resolve("again"));
    await settle();
    expect(shown).toEqual(["again"]);
  });
});

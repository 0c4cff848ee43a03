import { describe, expect, it } from "vitest";
import { recentWorkspaces, rememberWorkspace } from "./recent";
import { savedLanguage } from "../../i18n";

function memory() {
  const data = new Map<string, string>();
  return { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v) };
}

describe("recent workspaces", () => {
  it("keeps the newest first, without duplicates, at most eight", () => {
    const store = memory();
    for (let i = 0; i < 10; i++) rememberWorkspace(store, `/w/${i}.sqlite`);
    rememberWorkspace(store, "/w/3.sqlite");
    const recent = recentWorkspaces(store);
    expect(recent[0]).toBe("/w/3.sqlite");
    expect(recent).toHaveLength(8);
    expect(new Set(recent).size).toBe(8);
  });

  it("survives a corrupted store", () => {
    const store = memory();
    store.setItem("tessera.recent", "{not json");
    expect(recentWorkspaces(store)).toEqual([]);
  });
});

describe("language", () => {
  it("remembers Chinese and defaults to English", () => {
    const store = memory();
    expect(savedLanguage(store)).toBe("en");
    store.setItem("tessera.language", "zh");
    expect(savedLanguage(store)).toBe("zh");
  });
});

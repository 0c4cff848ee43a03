/** Recently opened workspace files, newest first, kept in local storage. */
const KEY = "tessera.recent";
const KEEP = 8;

type Store = Pick<Storage, "getItem" | "setItem">;

export function recentWorkspaces(store: Store): string[] {
  try {
    const list = JSON.parse(store.getItem(KEY) ?? "[]");
    return Array.isArray(list) ? list.filter((p): p is string => typeof p === "string") : [];
  } catch {
    return [];
  }
}

export function rememberWorkspace(store: Store, path: string): string[] {
  const list = [path, ...recentWorkspaces(store).filter((p) => p !== path)].slice(0, KEEP);
  store.setItem(KEY, JSON.stringify(list));
  return list;
}

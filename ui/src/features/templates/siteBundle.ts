// A microsite template as the workspace stores it: one bundle of its files (text as text, images
// and fonts in base64), which is also its draft while edited. The editor changes one file at a
// time and writes the bundle back in the order the engine writes it, so an edit undone is no
// draft.

export type BundleFile = { text: string } | { base64: string };
export type Bundle = { format: number; files: Record<string, BundleFile> };

export function parseBundle(text: string): Bundle | null {
  try {
    const bundle = JSON.parse(text);
    if (typeof bundle !== "object" || bundle === null || typeof bundle.files !== "object" || bundle.files === null) return null;
    return bundle as Bundle;
  } catch {
    return null;
  }
}

/** The bundle as the engine writes it: files by name, in byte order (ASCII names sort alike). */
export function bundleText(bundle: Bundle): string {
  const files = Object.fromEntries(Object.keys(bundle.files).sort().map((path) => [path, bundle.files[path]]));
  return JSON.stringify({ format: bundle.format, files });
}

export function fileText(bundle: Bundle, path: string): string | null {
  const file = bundle.files[path];
  return file && "text" in file ? file.text : null;
}

export function withFile(bundle: Bundle, path: string, file: BundleFile): Bundle {
  return { ...bundle, files: { ...bundle.files, [path]: file } };
}

export function withoutFile(bundle: Bundle, path: string): Bundle {
  const files = { ...bundle.files };
  delete files[path];
  return { ...bundle, files };
}

export type SourceFile = { path: string; kind: "manifest" | "layout" | "page" | "partial" | "style" | "other"; title?: string };

type Manifest = { layout?: string; pages?: { file?: string; title?: string }[] };

function manifestOf(bundle: Bundle): Manifest {
  try {
    const manifest = JSON.parse(fileText(bundle, "site.json") ?? "{}");
    return typeof manifest === "object" && manifest !== null ? manifest : {};
  } catch {
    // A manifest being edited is often not JSON for a moment: files are still listed.
    return {};
  }
}

const ORDER: SourceFile["kind"][] = ["page", "layout", "partial", "style", "manifest", "other"];

/** The text files to edit: pages first (in the manifest's order, with their titles), then the
 * layout, partials, style sheets and the manifest. */
export function sourceFiles(bundle: Bundle): SourceFile[] {
  const manifest = manifestOf(bundle);
  const pages = (manifest.pages ?? []).map((p) => p.file).filter((f): f is string => typeof f === "string");
  const titles = new Map((manifest.pages ?? []).map((p) => [p.file, p.title]));
  const kindOf = (path: string): SourceFile["kind"] => {
    if (path === "site.json") return "manifest";
    if (path === manifest.layout) return "layout";
    if (pages.includes(path)) return "page";
    if (path.startsWith("partials/")) return "partial";
    if (path.endsWith(".css")) return "style";
    return "other";
  };
  return Object.keys(bundle.files)
    .filter((path) => fileText(bundle, path) !== null)
    .map((path) => ({ path, kind: kindOf(path), title: titles.get(path) }))
    .sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind) || (a.kind === "page" ? pages.indexOf(a.path) - pages.indexOf(b.path) : a.path.localeCompare(b.path)));
}

export type Asset = { path: string; bytes: number; image: boolean };

/** The images, fonts and other binary files under `assets/`, with their sizes. */
export function assetFiles(bundle: Bundle): Asset[] {
  return Object.entries(bundle.files)
    .filter(([path, file]) => path.startsWith("assets/") && "base64" in file)
    .map(([path, file]) => {
      const data = (file as { base64: string }).base64;
      const padding = data.endsWith("==") ? 2 : data.endsWith("=") ? 1 : 0;
      return { path, bytes: Math.floor((data.length * 3) / 4) - padding, image: /\.(png|jpe?g|webp|gif|svg)$/i.test(path) };
    })
    .sort((a, b) => a.path.localeCompare(b.path));
}

/** A name under `assets/` for an added file that does not replace another: `hero.png`, `hero-2.png`. */
export function freeAssetPath(bundle: Bundle, name: string): string {
  const dot = name.lastIndexOf(".");
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ""];
  let path = `assets/${name}`;
  for (let n = 2; path in bundle.files; n++) path = `assets/${stem}-${n}${ext}`;
  return path;
}

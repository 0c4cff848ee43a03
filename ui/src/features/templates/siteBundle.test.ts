import { describe, expect, it } from "vitest";
import { assetFiles, bundleText, freeAssetPath, parseBundle, sourceFiles, withFile, withoutFile } from "./siteBundle";

// As the engine stores a site: files by name in byte order, text as text, images in base64.
const stored = JSON.stringify({
  format: 1,
  files: {
    "assets/hero.png": { base64: "iVBORw0KGgo=" },
    "assets/style.css": { text: "body{}" },
    "index.html": { text: "<h1>{{first_name}}</h1>" },
    "layout.html": { text: "{{> page}}" },
    "partials/nav.html": { text: "<nav></nav>" },
    "picks.html": { text: "<h1>Picks</h1>" },
    "site.json": { text: JSON.stringify({ format: 1, name: "Club", default_locale: "en", layout: "layout.html", pages: [{ file: "picks.html", title: "Picked for you" }, { file: "index.html", title: "Your points" }] }) },
  },
});

describe("a site's bundle", () => {
  it("is written back as the engine writes it, so an edit undone is no change", () => {
    const bundle = parseBundle(stored)!;
    const edited = withFile(bundle, "index.html", { text: "<h1>Hi 王芳 😀</h1>" });
    expect(bundleText(edited)).not.toBe(stored);
    expect(bundleText(withFile(edited, "index.html", { text: "<h1>{{first_name}}</h1>" }))).toBe(stored);
    // An added file takes its place in name order, as the engine would put it.
    const added = bundleText(withFile(bundle, "assets/a.png", { base64: "AA==" }));
    expect(Object.keys(JSON.parse(added).files)[0]).toBe("assets/a.png");
    expect(bundleText(withoutFile(parseBundle(added)!, "assets/a.png"))).toBe(stored);
  });

  it("lists pages first in the manifest's order with their titles, then layout, partials, styles, manifest", () => {
    const files = sourceFiles(parseBundle(stored)!);
    expect(files.map((f) => [f.path, f.kind, f.title])).toEqual([
      ["picks.html", "page", "Picked for you"],
      ["index.html", "page", "Your points"],
      ["layout.html", "layout", undefined],
      ["partials/nav.html", "partial", undefined],
      ["assets/style.css", "style", undefined],
      ["site.json", "manifest", undefined],
    ]);
    // A manifest being typed (not JSON for a moment) still lists every file.
    const typing = withFile(parseBundle(stored)!, "site.json", { text: '{"pages": [' });
    expect(sourceFiles(typing)).toHaveLength(6);
  });

  it("lists binary assets with their sizes and adds files without replacing one", () => {
    const bundle = parseBundle(stored)!;
    expect(assetFiles(bundle)).toEqual([{ path: "assets/hero.png", bytes: 8, image: true }]);
    expect(freeAssetPath(bundle, "logo.png")).toBe("assets/logo.png");
    expect(freeAssetPath(bundle, "hero.png")).toBe("assets/hero-2.png");
    expect(freeAssetPath(withFile(bundle, "assets/hero-2.png", { base64: "" }), "hero.png")).toBe("assets/hero-3.png");
  });

  it("is refused when it is not one", () => {
    expect(parseBundle("")).toBeNull();
    expect(parseBundle("[1]")).toBeNull();
    expect(parseBundle('{"format":1}')).toBeNull();
  });
});

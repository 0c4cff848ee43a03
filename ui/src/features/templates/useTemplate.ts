import { useCallback, useEffect, useState } from "react";
import type { TemplateInfo, TemplateKind } from "../../lib/bindings";
import { backend } from "../../lib/backend";
import { withDraft, withoutDrafts, type Drafts } from "./drafts";

/** Every template of `kinds`, emails first, each kind by name. */
function listOf(kinds: TemplateKind[]) {
  return backend.templatesList().then((list) => list.filter((t) => kinds.includes(t.kind)).sort((a, b) => kinds.indexOf(a.kind) - kinds.indexOf(b.kind)));
}

/**
 * The workspace's templates (of `kinds`), the one picked (the first by default) and its source
 * (an email's MJML, a site's bundle of files): the draft the app keeps for it if it was edited,
 * else as saved. The name and drafts belong to the caller (the app keeps them across screens);
 * without `setDrafts` the source is read-only.
 */
export function useTemplate({
  name,
  setName,
  drafts,
  setDrafts,
  kinds = ["email"],
}: {
  name: string;
  setName: (name: string) => void;
  drafts: Drafts;
  setDrafts?: (update: (drafts: Drafts) => Drafts) => void;
  kinds?: TemplateKind[];
}) {
  const [templates, setTemplates] = useState<TemplateInfo[]>([]);
  const [saved, setSaved] = useState<{ name: string; source: string } | null>(null);
  const kindList = kinds.join(",");
  const reload = useCallback(() => listOf(kinds).then(setTemplates), [kindList]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    listOf(kinds).then((list) => {
      setTemplates(list);
      // The template picked before leaving the screen, unless it is gone (a draft keeps it).
      if (list[0] && (!name || (!list.some((t) => t.name === name) && !(name in drafts)))) setName(list[0].name);
    });
  }, []); // eslint-disable-line react-hooks/exhaustive-deps -- once, on opening the screen
  useEffect(() => {
    if (!name) return;
    let current = true;
    backend.templateSource(name).then(
      (text) => current && setSaved({ name, source: text }),
      () => current && setSaved({ name, source: "" }),
    );
    return () => {
      current = false;
    };
  }, [name]);
  const savedSource = saved?.name === name ? saved.source : null;
  const source = drafts[name] ?? savedSource ?? "";
  // A draft of a template deleted meanwhile keeps its kind by its shape (a site's is a bundle).
  const kind: TemplateKind = templates.find((t) => t.name === name)?.kind ?? (source.startsWith('{"format"') ? "microsite" : "email");
  const setSource = useCallback(
    (text: string) => setDrafts?.((d) => withDraft(d, name, text, savedSource)),
    [setDrafts, name, savedSource],
  );
  /** Saves the edited source as `as` (the current name by default) and switches to it. */
  const save = useCallback(
    async (as: string) => {
      if (kind === "microsite") await backend.siteSave(as, source);
      else if (kind === "storyboard") await backend.storyboardSave(as, source);
      else await backend.templateSave(as, source);
      // Saved under another name, the edit is kept there: the original is left as it was saved.
      setDrafts?.((d) => withoutDrafts(d, name, as));
      setSaved({ name: as, source });
      await reload();
      setName(as);
    },
    [kind, source, name, reload, setDrafts, setName],
  );
  return { templates, name, setName, source, setSource, kind, loaded: savedSource !== null || name in drafts, dirty: name in drafts, save };
}

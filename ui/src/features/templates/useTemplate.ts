import { useCallback, useEffect, useState } from "react";
import type { TemplateInfo } from "../../lib/bindings";
import { backend, emailTemplates } from "../../lib/backend";
import { withDraft, withoutDrafts, type Drafts } from "./drafts";

/**
 * The workspace's templates, the one picked (the first by default) and its source: the draft the
 * app keeps for it if it was edited, else as saved. The name and drafts belong to the caller (the
 * app keeps them across screens); without `setDrafts` the source is read-only.
 */
export function useTemplate({
  name,
  setName,
  drafts,
  setDrafts,
}: {
  name: string;
  setName: (name: string) => void;
  drafts: Drafts;
  setDrafts?: (update: (drafts: Drafts) => Drafts) => void;
}) {
  const [templates, setTemplates] = useState<TemplateInfo[]>([]);
  const [saved, setSaved] = useState<{ name: string; source: string } | null>(null);
  const reload = useCallback(() => emailTemplates().then(setTemplates), []);
  useEffect(() => {
    emailTemplates().then((list) => {
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
  const setSource = useCallback(
    (text: string) => setDrafts?.((d) => withDraft(d, name, text, savedSource)),
    [setDrafts, name, savedSource],
  );
  /** Saves the edited source as `as` (the current name by default) and switches to it. */
  const save = useCallback(
    async (as: string) => {
      await backend.templateSave(as, source);
      // Saved under another name, the edit is kept there: the original is left as it was saved.
      setDrafts?.((d) => withoutDrafts(d, name, as));
      setSaved({ name: as, source });
      await reload();
      setName(as);
    },
    [source, name, reload, setDrafts, setName],
  );
  return { templates, name, setName, source, setSource, loaded: savedSource !== null || name in drafts, dirty: name in drafts, save };
}

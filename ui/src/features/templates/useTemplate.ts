import { useCallback, useEffect, useState } from "react";
import type { TemplateInfo } from "../../lib/bindings";
import { backend } from "../../lib/backend";

/** The workspace's templates, the one picked (the first by default), its source as edited and as saved. */
export function useTemplate() {
  const [templates, setTemplates] = useState<TemplateInfo[]>([]);
  const [name, setName] = useState("");
  const [source, setSource] = useState("");
  const [saved, setSaved] = useState("");
  const reload = useCallback(() => backend.templatesList().then(setTemplates), []);
  useEffect(() => {
    backend.templatesList().then((list) => {
      setTemplates(list);
      if (list[0]) setName(list[0].name);
    });
  }, []);
  useEffect(() => {
    if (name) {
      backend.templateSource(name).then((text) => {
        setSource(text);
        setSaved(text);
      });
    }
  }, [name]);
  /** Saves the edited source as `as` (the current name by default) and switches to it. */
  const save = useCallback(
    async (as: string) => {
      await backend.templateSave(as, source);
      setSaved(source);
      await reload();
      setName(as);
    },
    [source, reload],
  );
  return { templates, name, setName, source, setSource, dirty: source !== saved, save };
}

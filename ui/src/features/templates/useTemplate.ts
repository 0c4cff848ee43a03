import { useEffect, useState } from "react";
import type { TemplateInfo } from "../../lib/bindings";
import { backend } from "../../lib/backend";

/** The workspace's templates, the one picked (the first by default) and its source. */
export function useTemplate() {
  const [templates, setTemplates] = useState<TemplateInfo[]>([]);
  const [name, setName] = useState("");
  const [source, setSource] = useState("");
  useEffect(() => {
    backend.templatesList().then((list) => {
      setTemplates(list);
      if (list[0]) setName(list[0].name);
    });
  }, []);
  useEffect(() => {
    if (name) backend.templateSource(name).then(setSource);
  }, [name]);
  return { templates, name, setName, source, setSource };
}

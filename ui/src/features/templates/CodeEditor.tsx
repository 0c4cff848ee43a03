// The template source editor: CodeMirror 6 with the file's language (MJML as XML, a site's HTML,
// CSS, its JSON manifest), Handlebars merge tags marked on top, line numbers, and the line of the
// current error marked.
import { memo, useEffect, useRef } from "react";
import { Annotation, Compartment, EditorState, StateEffect, StateField, Transaction, type Extension } from "@codemirror/state";
import { Decoration, EditorView, MatchDecorator, ViewPlugin, keymap, lineNumbers, type DecorationSet, type ViewUpdate } from "@codemirror/view";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { bracketMatching, defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { xml } from "@codemirror/lang-xml";
import { html } from "@codemirror/lang-html";
import { css } from "@codemirror/lang-css";
import { json } from "@codemirror/lang-json";
import { textChange } from "./textChange";

/** What a file is written in: an email's MJML, a site's pages, style sheets and manifest. */
export type SourceLanguage = "mjml" | "html" | "css" | "json";

const LANGUAGE_SUPPORT: Record<SourceLanguage, () => Extension> = {
  mjml: () => xml(),
  html: () => html({ selfClosingTags: true }),
  css: () => css(),
  json: () => json(),
};

/** The language of a site file by its name. */
export function languageOf(file: string): SourceLanguage {
  if (file.endsWith(".css")) return "css";
  if (file.endsWith(".json")) return "json";
  return "html";
}

/** `{{#each …}}`, `{{/each}}`, `{{else}}` (structure) apart from plain merge tags. */
const handlebarsTags = new MatchDecorator({
  regexp: /\{\{\{?~?([#/^>!]|else\b)?[^}]*\}?\}\}/g,
  decoration: (match) => Decoration.mark({ class: match[1] ? "cm-hb-block" : "cm-hb-tag" }),
});

const handlebars = ViewPlugin.fromClass(
  class {
    tags: DecorationSet;
    constructor(view: EditorView) {
      this.tags = handlebarsTags.createDeco(view);
    }
    update(update: ViewUpdate) {
      this.tags = handlebarsTags.updateDeco(update, this.tags);
    }
  },
  { decorations: (plugin) => plugin.tags },
);

/** Marks a document replaced from outside (another template loaded): not an edit to report. */
const fromOutside = Annotation.define<boolean>();

const setErrorLine = StateEffect.define<number | null>();
const errorLine = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marks, tr) {
    for (const effect of tr.effects) {
      if (!effect.is(setErrorLine)) continue;
      const line = effect.value;
      if (line === null || line < 1 || line > tr.state.doc.lines) return Decoration.none;
      return Decoration.set([Decoration.line({ class: "cm-error-line" }).range(tr.state.doc.line(line).from)]);
    }
    return marks.map(tr.changes);
  },
  provide: (field) => EditorView.decorations.from(field),
});

export interface CodeEditorApi {
  /** Replaces the selection with `text` (a merge tag) and puts the cursor after it. */
  insert(text: string): void;
}

type Props = {
  value: string;
  onChange: (value: string) => void;
  /** 1-based line of the current error, or null. */
  errorAt: number | null;
  api?: (api: CodeEditorApi) => void;
  label: string;
  language?: SourceLanguage;
  testId?: string;
};

function CodeEditorView({ value, onChange, errorAt, api, label, language = "mjml", testId = "template-source" }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const languageSlot = useRef(new Compartment());
  const labelSlot = useRef(new Compartment());
  const changed = useRef(onChange);
  changed.current = onChange;

  useEffect(() => {
    const extensions: Extension[] = [
      lineNumbers(),
      history(),
      keymap.of([...defaultKeymap, ...historyKeymap]),
      languageSlot.current.of(LANGUAGE_SUPPORT[language]()),
      syntaxHighlighting(defaultHighlightStyle),
      bracketMatching(),
      handlebars,
      errorLine,
      EditorView.lineWrapping,
      labelSlot.current.of(EditorView.contentAttributes.of({ "aria-label": label, spellcheck: "false" })),
      EditorView.updateListener.of((update) => {
        if (update.docChanged && !update.transactions.some((tr) => tr.annotation(fromOutside))) {
          changed.current(update.state.doc.toString());
        }
      }),
    ];
    const editor = new EditorView({ parent: host.current!, state: EditorState.create({ doc: value, extensions }) });
    view.current = editor;
    api?.({
      insert(text) {
        editor.dispatch(editor.state.replaceSelection(text), { userEvent: "input" });
        editor.focus();
      },
    });
    return () => editor.destroy();
    // The editor is created once; `value` changes from outside are applied below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // A new template, a reload or a form's edit (a layer's property) changes the document; the
  // user's own typing is already in it. Only what differs is replaced.
  useEffect(() => {
    const editor = view.current;
    const current = editor?.state.doc.toString();
    if (editor && current !== undefined && current !== value) {
      // Not undoable: undo must not bring another template's text back.
      editor.dispatch({ changes: textChange(current, value), annotations: [fromOutside.of(true), Transaction.addToHistory.of(false)] });
    }
  }, [value]);

  useEffect(() => {
    view.current?.dispatch({ effects: languageSlot.current.reconfigure(LANGUAGE_SUPPORT[language]()) });
  }, [language]);

  useEffect(() => {
    view.current?.dispatch({ effects: labelSlot.current.reconfigure(EditorView.contentAttributes.of({ "aria-label": label, spellcheck: "false" })) });
  }, [label]);

  useEffect(() => {
    view.current?.dispatch({ effects: setErrorLine.of(errorAt) });
  }, [errorAt, value]);

  return <div className="code" data-testid={testId} ref={host} />;
}

/** Rendered again only when its props change (give it stable callbacks). */
export const CodeEditor = memo(CodeEditorView);

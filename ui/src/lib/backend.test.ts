import { describe, expect, it } from "vitest";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import i18n from "../i18n";
import { en } from "../locales/en";
import { zh } from "../locales/zh";
import type { ErrorKind } from "./bindings";
import { BackendError, errorText, explainError, fieldProblem } from "./backend";
import { ErrorMessage } from "./ErrorMessage";

const failure = (code: ErrorKind, message: string, line: number | null = null, column: number | null = null, file: string | null = null) =>
  new BackendError({ code, message, line, column, file, problem: null });

// Every kind the engine can answer (tsc fails here when bindings.ts gains one).
const KINDS: Record<ErrorKind, true> = {
  no_workspace: true, not_found: true, invalid_input: true, template: true, database: true, io: true, cancelled: true,
  not_a_workspace: true, folder_not_empty: true, earlier_render: true, invalid_address: true, column_mapping: true, internal: true, no_site: true, address_in_use: true,
  busy: true, wrong_workspace: true, render_failed: true, smtp_unavailable: true,
};

describe("error messages", () => {
  it("say what happened and what to do for every kind, in both languages", () => {
    for (const kind of Object.keys(KINDS) as ErrorKind[]) {
      expect(en.errors.explain[kind], kind).toMatch(/\.|:/);
      expect(zh.errors.explain[kind], kind).toMatch(/\p{Script=Han}/u);
    }
  });

  it("tell the user what to do, in their language, when they can fix it", async () => {
    const e = failure("folder_not_empty", "/home/ann/Documents has files Tessera did not write (notes.txt)");
    await i18n.changeLanguage("en");
    expect(errorText(e)).toMatch(/^This folder has files Tessera did not write. Choose an empty folder/);
    await i18n.changeLanguage("zh");
    expect(errorText(e)).toMatch(/^此文件夹中有不是 Tessera 写入的文件/);
    await i18n.changeLanguage("en");
  });

  it("keep the engine's English out of the sentence, but not out of reach", async () => {
    const e = failure("database", "database is locked");
    await i18n.changeLanguage("zh");
    expect(errorText(e)).not.toMatch(/locked/);
    expect(errorText(e)).toMatch(/^无法读取或更新工作区/);
    expect(explainError(e).message).toBe("database is locked");
    await i18n.changeLanguage("en");
    expect(errorText(e)).toMatch(/^The workspace could not be read or updated/);
  });

  it("word what is wrong with a field in the user's language, with its values", async () => {
    const e = new BackendError({
      code: "invalid_input", message: "variant 'B': a weight is a number above 0 and at most 1000000, not 0", line: null, column: null, file: null,
      problem: { field: "variants.1.weight", code: "weight_range", params: { variant: "B", max: "1000000" } },
    });
    expect(fieldProblem(e)?.field).toBe("variants.1.weight");
    await i18n.changeLanguage("zh");
    expect(errorText(e)).toBe("版本 B：权重应是大于 0 且不超过 1000000 的数字。");
    await i18n.changeLanguage("en");
    expect(errorText(e)).toBe("Variant B: a weight is a number above 0 and at most 1000000.");
    // A code this version does not know is still an invalid input, in words.
    const unknown = new BackendError({ ...e.detail, problem: { field: "x", code: "from_the_future", params: {} } });
    expect(errorText(unknown)).toMatch(/^Something entered here is not valid/);
  });

  it("keep a template error's position and the engine's account of it", async () => {
    const e = failure("template", "unclosed block helper 'if'", 1, 22);
    await i18n.changeLanguage("zh");
    expect(errorText(e)).toBe("模板中有错误，无法用它生成邮件。请在以下位置更正：第 1 行，第 22 列：unclosed block helper 'if'");
    await i18n.changeLanguage("en");
    expect(errorText(e)).toBe("The template has a mistake, so the email cannot be made from it. Correct it where shown: Line 1, column 22: unclosed block helper 'if'");
  });

  it("explain what did not come from the engine without hiding it", () => {
    const e = explainError(new Error("IPC unavailable"));
    expect(e.code).toBeNull();
    expect(e.sentence).toMatch(/unexpected/);
    expect(e.message).toBe("IPC unavailable");
  });
});

describe("<ErrorMessage>", () => {
  const html = (error: unknown) => renderToStaticMarkup(createElement(ErrorMessage, { error, testId: "x" }));

  it("shows the sentence, with the engine's message behind a toggle", async () => {
    await i18n.changeLanguage("zh");
    const out = html(failure("io", "Permission denied (os error 13): /srv/out"));
    expect(out).toMatch(/role="alert"/);
    expect(out).toMatch(/data-testid="x"/);
    expect(out).toMatch(/<p class="sentence">无法读取或写入文件或文件夹/);
    expect(out).toMatch(/<details class="technical"><summary>技术详情<\/summary><pre class="mono">io: Permission denied \(os error 13\): \/srv\/out<\/pre><\/details>/);
    await i18n.changeLanguage("en");
  });

  it("shows a template error's position and message openly", () => {
    const out = html(failure("template", "unclosed block helper 'if'", 3, 7));
    expect(out).toMatch(/<b>Line 3, column 7<\/b>: <span class="mono">unclosed block helper &#x27;if&#x27;<\/span>/);
    expect(out).not.toMatch(/<details/);
  });
});

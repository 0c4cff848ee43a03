import { describe, expect, it } from "vitest";
import i18n from "../i18n";
import { BackendError, errorText } from "./backend";

const failure = (code: "folder_not_empty" | "database", message: string) =>
  new BackendError({ code, message, line: null, column: null });

describe("error messages", () => {
  it("tell the user what to do, in their language, when they can fix it", async () => {
    const e = failure("folder_not_empty", "/home/ann/Documents has files Tessera did not write (notes.txt)");
    await i18n.changeLanguage("en");
    expect(errorText(e)).toMatch(/^This folder has files Tessera did not write/);
    await i18n.changeLanguage("zh");
    expect(errorText(e)).toMatch(/^此文件夹中有不是 Tessera 写入的文件/);
  });

  it("otherwise give the engine's explanation, introduced in Chinese by its kind", async () => {
    const e = failure("database", "database is locked");
    await i18n.changeLanguage("en");
    expect(errorText(e)).toBe("database is locked");
    await i18n.changeLanguage("zh");
    expect(errorText(e)).toBe("数据库错误。 database is locked");
    await i18n.changeLanguage("en");
  });
});

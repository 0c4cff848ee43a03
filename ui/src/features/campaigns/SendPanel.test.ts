import { describe, expect, it } from "vitest";
import { settingsProblems } from "./SendPanel";

describe("the mail server's settings", () => {
  it("name the field that is wrong before anything is sent", () => {
    expect(settingsProblems({ host: "", port: "587", security: "auto", user: "" })).toEqual({ host: "send.hostMissing" });
    expect(settingsProblems({ host: "smtp://mail.example.com", port: "587", security: "auto", user: "" })).toEqual({ host: "send.hostInvalid" });
    expect(settingsProblems({ host: "me@mail.example.com", port: "0", security: "auto", user: "" })).toEqual({ host: "send.hostInvalid", port: "send.portInvalid" });
    expect(settingsProblems({ host: "mail.example.com", port: "70000", security: "tls", user: "me" })).toEqual({ port: "send.portInvalid" });
    expect(settingsProblems({ host: " mail.example.com ", port: "465", security: "tls", user: "me" })).toEqual({});
  });
});

import { describe, expect, it } from "vitest";
import { settingsProblems } from "./SendPanel";

const NO_DKIM = { dkimDomain: "", dkimSelector: "", dkimKeyFile: "" };

describe("the mail server's settings", () => {
  it("name the field that is wrong before anything is sent", () => {
    expect(settingsProblems({ host: "", port: "587", security: "auto", user: "", ...NO_DKIM })).toEqual({ host: "send.hostMissing" });
    expect(settingsProblems({ host: "smtp://mail.example.com", port: "587", security: "auto", user: "", ...NO_DKIM })).toEqual({ host: "send.hostInvalid" });
    expect(settingsProblems({ host: "me@mail.example.com", port: "0", security: "auto", user: "", ...NO_DKIM })).toEqual({ host: "send.hostInvalid", port: "send.portInvalid" });
    expect(settingsProblems({ host: "mail.example.com", port: "70000", security: "tls", user: "me", ...NO_DKIM })).toEqual({ port: "send.portInvalid" });
    expect(settingsProblems({ host: " mail.example.com ", port: "465", security: "tls", user: "me", ...NO_DKIM })).toEqual({});
    // A DKIM key needs its domain, selector and file together.
    expect(settingsProblems({ host: "mail.example.com", port: "587", security: "auto", user: "", ...NO_DKIM, dkimDomain: "shop.example" })).toEqual({ dkim: "send.dkimIncomplete" });
    expect(settingsProblems({ host: "mail.example.com", port: "587", security: "auto", user: "", dkimDomain: "shop.example", dkimSelector: "s1", dkimKeyFile: "/k.pem" })).toEqual({});
  });
});

// A small WebDriver client over HTTP for tauri-driver (no npm packages): sessions, elements,
// clicks, typing, attributes and screenshots of the real window.
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";

const W3C_ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  static async start(base, application) {
    const body = { capabilities: { alwaysMatch: { "tauri:options": { application }, "wdio:enforceWebDriverClassic": true } } };
    const value = await request(base, "POST", "/session", body);
    return new Session(base, value.sessionId);
  }

  call(method, path, body) {
    return request(this.base, method, `/session/${this.id}${path}`, body);
  }

  async find(css) {
    return elementId(await this.call("POST", "/element", { using: "css selector", value: css }));
  }

  async findAll(css) {
    const value = await this.call("POST", "/elements", { using: "css selector", value: css });
    return value.map(elementId);
  }

  /** Waits until `css` matches and `test(text)` holds; returns the text. */
  async waitFor(css, test = () => true, timeout = 20000) {
    const until = Date.now() + timeout;
    let last = "";
    for (;;) {
      try {
        last = await this.text(css);
        if (test(last)) return last;
      } catch {
        // not there yet
      }
      if (Date.now() > until) {
        // What the window showed, for whoever reads the failure.
        const shot = `${tmpdir()}/tessera-e2e-failure.png`;
        writeFileSync(shot, await this.screenshot().catch(() => Buffer.alloc(0)));
        throw new Error(`timed out waiting for ${css} (last text: ${JSON.stringify(last)}; screenshot ${shot})`);
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  /** Waits until the text content of `css` (laid out or not: rows of a virtual list the driver
   * reads as hidden) passes `test`; returns it. */
  async waitForContent(css, test, timeout = 20000) {
    const until = Date.now() + timeout;
    let last = "";
    for (;;) {
      try {
        last = await this.property(css, "textContent");
        if (test(last)) return last;
      } catch {
        // Not there yet.
      }
      if (Date.now() > until) throw new Error(`timed out waiting for the content of ${css} (last: ${JSON.stringify(last)})`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  async text(css) {
    return this.call("GET", `/element/${await this.find(css)}/text`);
  }

  async attribute(css, name) {
    return this.call("GET", `/element/${await this.find(css)}/attribute/${name}`);
  }

  async property(css, name) {
    return this.call("GET", `/element/${await this.find(css)}/property/${name}`);
  }

  /** Clicks `css` once it is enabled: a button disabled while the app reloads (a preview after a
   * changed choice) would swallow the click. */
  async click(css, timeout = 20000) {
    const until = Date.now() + timeout;
    const element = await this.find(css);
    while ((await this.call("GET", `/element/${element}/enabled`)) === false) {
      if (Date.now() > until) throw new Error(`${css} stayed disabled`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await this.call("POST", `/element/${element}/click`, {});
  }

  /** Replaces the field's text, then types: a WebDriver "clear" alone does not reach React's
   * state (typing would append to the old text), so the field is emptied the way an edit is,
   * through the value setter and an input event. */
  async type(css, text) {
    const element = await this.find(css);
    await this.call("POST", "/execute/sync", {
      script: `const e = arguments[0];
        const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(e), "value")?.set;
        if (setter) {
          setter.call(e, "");
          e.dispatchEvent(new Event("input", { bubbles: true }));
        }`,
      args: [{ [W3C_ELEMENT]: element, ELEMENT: element }],
    });
    await this.call("POST", `/element/${element}/clear`, {});
    if (text) await this.call("POST", `/element/${element}/value`, { text });
  }

  /** Sets a control's value as a user's drag or pick does (a range input), through the value
   * setter and an input event, which React hears. */
  async setValue(css, value) {
    const element = await this.find(css);
    await this.call("POST", "/execute/sync", {
      script: `const e = arguments[0];
        Object.getOwnPropertyDescriptor(Object.getPrototypeOf(e), "value").set.call(e, arguments[1]);
        e.dispatchEvent(new Event("input", { bubbles: true }));`,
      args: [{ [W3C_ELEMENT]: element, ELEMENT: element }, String(value)],
    });
  }

  /** Scrolls the window until `css` is in the middle of the view (for a screenshot of it). */
  async scrollIntoView(css) {
    const element = await this.find(css);
    await this.call("POST", "/execute/sync", { script: "arguments[0].scrollIntoView({ block: 'center' })", args: [{ [W3C_ELEMENT]: element, ELEMENT: element }] });
  }

  /** Runs `script` in the page (or the frame entered) with `args`; its return value. */
  async execute(script, ...args) {
    return this.call("POST", "/execute/sync", { script, args });
  }

  /** Enters the frame `css` (an iframe of the page): finding, clicking and scripts act inside it until `leaveFrame`. */
  async enterFrame(css) {
    const element = await this.find(css);
    await this.call("POST", "/frame", { id: { [W3C_ELEMENT]: element, ELEMENT: element } });
  }

  async leaveFrame() {
    await this.call("POST", "/frame/parent", {});
  }

  async screenshot() {
    return Buffer.from(await this.call("GET", "/screenshot"), "base64");
  }

  async end() {
    await this.call("DELETE", "");
  }
}

// W3C drivers name the key; WebKitWebDriver in classic mode may answer the older `ELEMENT`.
function elementId(value) {
  const id = value?.[W3C_ELEMENT] ?? value?.ELEMENT;
  if (!id) throw new Error(`no element in ${JSON.stringify(value)}`);
  return id;
}

async function request(base, method, path, body) {
  const response = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok || (json.value && json.value.error)) {
    throw new Error(`${method} ${path}: ${JSON.stringify(json.value ?? json)}`);
  }
  return json.value;
}

// End-to-end: the real app in a real WebKit window, driven through tauri-driver and WebKitWebDriver
// (under Xvfb on CI). Set SCREENSHOTS=1 to save a screenshot of each screen to docs/screenshots/.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Session } from "./webdriver.mjs";

const root = resolve(import.meta.dirname, "../..");
const application = process.env.TESSERA_APP ?? join(root, "target/debug/tessera-desktop");
const shots = process.env.SCREENSHOTS ? join(root, "docs/screenshots") : null;
const scratch = mkdtempSync(join(tmpdir(), "tessera-e2e-"));
const base = "http://127.0.0.1:4444";
let driver;
let app;

async function shoot(name) {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  writeFileSync(join(shots, `${name}.png`), await app.screenshot());
}

before(async () => {
  // Output ignored: a leftover app holding the pipe must not hang the run.
  // A fresh data folder: the app's files and WebKit's storage (recent workspaces, language).
  const env = { ...process.env, TESSERA_DATA_DIR: join(scratch, "tessera"), XDG_DATA_HOME: scratch, XDG_CONFIG_HOME: scratch };
  driver = spawn("tauri-driver", [], { stdio: "ignore", env });
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/status`)).ok) break;
    } catch {
      if (i > 100) throw new Error("tauri-driver did not start");
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  app = await Session.start(base, application);
});

after(async () => {
  await app?.end().catch(() => {});
  driver?.kill();
});

test("the first start opens the demo workspace and shows its customers", async () => {
  const count = await app.waitFor("[data-testid=customer-count]", (t) => Number(t.replace(/\D/g, "")) > 1000, 60000);
  assert.ok(Number(count.replace(/\D/g, "")) > 1000);
  await shoot("workspace");
});

test("the customer table pages, searches and opens a profile", async () => {
  await app.click("[data-testid=nav-customers]");
  await app.waitFor("[data-testid=customer-rows] [role=row] .cell");
  await app.click("[data-testid=customer-rows] [role=row]");
  await app.waitFor("[data-testid=profile] h2", (t) => t.length > 0 && !t.startsWith("#"));
  await shoot("customers");
});

test("importing a CSV with a bad row shows the rejection with its line", async () => {
  const csv = join(scratch, "new-customers.csv");
  writeFileSync(csv, "email,first_name,city\nnew.one@example.com,Zoë,Paris\nbroken-email,Bad,Lyon\n王@example.cn,王芳,上海\n");
  await app.click("[data-testid=import-open]");
  await app.type("[data-testid=import-path]", csv);
  // The preview step: what was detected, how each column maps, the first rows.
  assert.match(await app.waitFor("[data-testid=import-detected]", (t) => t.length > 0), /CSV · utf-8 · .*“,”/);
  assert.match(await app.property("[data-testid=import-preview] tbody tr", "textContent"), /new.one@example.comZoëParis/);
  // The demo has a city attribute: the column imports into it, and says so.
  assert.equal(await app.property("[data-testid=map-city]", "value"), "attribute:city");
  assert.match(await app.text("[data-testid=existing-city]"), /existing attribute “city”/);
  await app.click("[data-testid=map-city] option[value=ignore]");
  assert.equal(await app.property("[data-testid=map-city]", "value"), "ignore");
  await shoot("import-preview");
  await startImport();
  const rejected = await app.waitFor("[data-testid=rejected-row]", (t) => t.includes("3"));
  assert.match(rejected, /^3\s*“broken-email” is not an email address/);
  assert.match(await app.text("[data-testid=import-report]"), /2/);
  await shoot("import");
});

test("a file whose columns collide is explained and not imported until mapped", async () => {
  const csv = join(scratch, "colliding.csv");
  writeFileSync(csv, "email,City,city\ncollide@example.com,Paris,Lyon\n");
  await app.type("[data-testid=import-path]", csv);
  const problem = await app.waitFor("[data-testid=import-problem]", (t) => t.length > 0);
  assert.match(problem, /“City”, “city”.*attribute “city”/);
  assert.equal(await app.property("[data-testid=import-start]", "disabled"), true);
  await shoot("import-problem");
  await app.click("[data-testid=map-city] option[value=ignore]");
  for (let i = 0; (await app.property("[data-testid=import-start]", "disabled")) !== false; i++) {
    assert.ok(i < 100, "the mapped file can be imported");
    await new Promise((r) => setTimeout(r, 100));
  }
});

test("columns in Chinese import into the existing attributes, and the open profile follows", async () => {
  const first = join(scratch, "会员.csv");
  writeFileSync(first, "\ufeff邮箱,姓名,城市,会员等级\nwang.fang@example.cn,王芳,上海,银卡\n");
  await app.type("[data-testid=import-path]", first);
  await app.waitFor("[data-testid=existing-城市]", (t) => t.includes("city"));
  assert.equal(await app.property("[data-testid=map-城市]", "value"), "attribute:city");
  assert.equal(await app.property("[data-testid=map-会员等级]", "value"), "attribute:loyalty_tier");
  await app.waitFor("[data-testid=import-forecast]", (t) => /1 new/.test(t));
  await startImport();
  await app.waitFor("[data-testid=import-report]", (t) => /1 added/.test(t));
  await app.click("[data-testid=import-close]");
  // A Chinese name in its own order, found by how it is written.
  // (The demo has other customers of that name.)
  await app.type("[data-testid=customer-search]", "王芳");
  await app.waitForContent("[data-testid=customer-rows]", (t) => t.includes("王芳"));
  await app.type("[data-testid=customer-search]", "wang.fang@");
  await app.waitFor("[data-testid=customer-total]", (t) => t === "1 customer");
  await app.waitForContent("[data-testid=customer-rows]", (t) => t.includes("wang.fang@example.cn"));
  await app.click("[data-testid=customer-rows] [role=row]");
  assert.equal(await app.waitFor("[data-testid=profile-name]", (t) => t !== "…"), "王芳");
  const attributes = await app.waitFor("[data-testid=profile-attributes]", (t) => t.includes("上海"));
  assert.match(attributes, /Loyalty tier\s*银卡/);
  assert.doesNotMatch(attributes, /会员等级/, "no second attribute beside loyalty_tier");
  assert.match(await app.text("[data-testid=profile-keys]"), /Email · wang\.fang@example\.cn/);
  // The next export of the same report: what would change is shown before anything is written.
  await app.click("[data-testid=import-open]");
  const second = join(scratch, "会员-12月.csv");
  writeFileSync(second, "\ufeff邮箱,姓名,城市,会员等级\nwang.fang@example.cn,王芳,杭州,金卡\nnot-an-email,李娜,北京,银卡\n");
  await app.type("[data-testid=import-path]", second);
  const changes = await app.waitFor("[data-testid=forecast-changes]", (t) => t.includes("杭州"));
  assert.match(changes, /上海\s*杭州/);
  assert.match(changes, /银卡\s*金卡/);
  assert.match(await app.text("[data-testid=forecast-rejected]"), /^3\s*“.*” is not an email address/);
  await shoot("import-forecast");
  await startImport();
  await app.waitFor("[data-testid=import-report]", (t) => /1 updated/.test(t));
  await app.waitFor("[data-testid=profile-attributes]", (t) => t.includes("杭州") && t.includes("金卡"));
  await app.click("[data-testid=import-close]");
  await shoot("customers-profile");
  await app.type("[data-testid=customer-search]", "nobody-by-this-name");
  await app.waitFor("[data-testid=customer-empty]", (t) => t.includes("nobody-by-this-name"));
  await app.type("[data-testid=customer-search]", "");
});

test("a shop's own files: its headers are understood, a merge is shown before import, its orders get a type", async () => {
  await app.click("[data-testid=import-open]");
  const customers = join(scratch, "shop-customers.csv");
  writeFileSync(customers, "Customer No,Mobile No,Email,First Name,Last Name\nSHOP-1,13800138000,li.lei@shop.example,Lei,Li\nSHOP-2,13900139000,han.mei@shop.example,Meimei,Han\nSHOP-1,,lilei.work@shop.example,Lei,Li\n");
  await app.type("[data-testid=import-path]", customers);
  await app.waitFor("[data-testid=import-forecast]", (t) => /2 new/.test(t));
  assert.equal(await app.property("[data-testid='map-Customer No']", "value"), "external_id");
  assert.equal(await app.property("[data-testid='map-Mobile No']", "value"), "phone");
  // The third row is the first customer again (same customer number): shown before it happens.
  assert.match(await app.text("[data-testid=forecast-merges]"), /4\s*an earlier row of this file\s*.*SHOP-1/i);
  await shoot("import-merge");
  await startImport();
  await app.waitFor("[data-testid=import-report]", (t) => /2 added/.test(t));
  // Their orders: no type column, so the type of every row is asked for.
  await app.click("[data-testid=import-kind] option[value=events]");
  const orders = join(scratch, "shop-orders.csv");
  writeFileSync(orders, "会员号,下单时间,金额\nSHOP-1,2026-03-01 10:00,120\nSHOP-2,2026-04-02,35.5\nSHOP-9,2026-04-03,10\n");
  await app.type("[data-testid=import-path]", orders);
  assert.match(await app.waitFor("[data-testid=import-missing-event_type]"), /no event type column/);
  assert.equal(await app.property("[data-testid=import-start]", "disabled"), true);
  await app.type("[data-testid=import-event-type]", "purchase");
  assert.match(await app.waitFor("[data-testid=import-events-forecast]"), /2 new events for 2 customers; already imported: 0; rejected rows: 1/);
  assert.match(await app.text("[data-testid=forecast-rejected]"), /^4\s*No customer has the Customer id “SHOP-9”/);
  await shoot("import-events");
  await startImport();
  await app.waitFor("[data-testid=import-report]", (t) => /2 added/.test(t));
  await app.click("[data-testid=import-kind] option[value=customers]");
  await app.click("[data-testid=import-close]");
});

test("customers who share a phone are reviewed: one pair merged, the other kept apart", async () => {
  await app.click("[data-testid=import-open]");
  const family = join(scratch, "shop-family.csv");
  writeFileSync(family, "Customer No,Mobile No,Email,First Name,Last Name\nSHOP-3,13700137000,wei.zhang@shop.example,Wei,Zhang\nSHOP-4,13700137000,wei.z@home.example,Wei,Zhang\nSHOP-5,13700137000,na.zhang@shop.example,Na,Zhang\n");
  await app.type("[data-testid=import-path]", family);
  await app.waitFor("[data-testid=forecast-possible-duplicates]", (t) => /never merged without you/.test(t));
  await startImport();
  await app.waitFor("[data-testid=import-report]", (t) => /3 added/.test(t));
  await app.click("[data-testid=import-close]");
  await app.waitFor("[data-testid=duplicates-open]", (t) => /Possible duplicates \(\d+\)/.test(t));
  await app.click("[data-testid=duplicates-open]");
  const pairWith = (a, b) => `[...document.querySelectorAll("[data-testid=duplicate-pair]")].find((c) => c.textContent.includes(${JSON.stringify(a)}) && c.textContent.includes(${JSON.stringify(b)}))`;
  await app.waitFor("[data-testid=duplicate-pair]", (t) => t.includes("SHOP-"));
  assert.match(await app.text("[data-testid=duplicates-review]"), /Shared Phone · \+?(86)?13700137000/);
  assert.match(await app.text("[data-testid=duplicates-review]"), /Wei Zhang[\s\S]*wei\.z@home\.example[\s\S]*SHOP-4/);
  await shoot("customers-duplicates");
  await app.click("[data-testid=language] option[value=zh]");
  await app.waitFor("[data-testid=duplicates-review] h2", (t) => t === "疑似重复的客户");
  assert.match(await app.text("[data-testid=duplicates-review]"), /相同的手机 · \+?(86)?13700137000/);
  await shoot("customers-duplicates-zh");
  await app.click("[data-testid=language] option[value=en]");
  await app.waitFor("[data-testid=duplicates-review] h2", (t) => t === "Possible duplicates");
  // Wei's two records are one person; Na is his family.
  await app.execute(`${pairWith("wei.zhang@shop.example", "wei.z@home.example")}.querySelector("[data-testid=duplicate-merge]").click();`);
  await app.waitForContent("[data-testid=duplicates-review]", (t) => !t.includes("wei.z@home.example"));
  await app.execute(`${pairWith("wei.zhang@shop.example", "na.zhang@shop.example")}.querySelector("[data-testid=duplicate-keep-apart]").click();`);
  await app.waitForContent("[data-testid=duplicates-review]", (t) => !t.includes("na.zhang@shop.example"));
  await app.click("[data-testid=duplicates-close]");
  await app.type("[data-testid=customer-search]", "wei.zhang@shop");
  await app.waitFor("[data-testid=customer-total]", (t) => /^1 customer/.test(t));
  await app.click("[data-testid=customer-rows] [role=row]");
  assert.match(await app.waitFor("[data-testid=profile-merged]"), /merged by you/);
  assert.match(await app.text("[data-testid=profile-keys]"), /wei\.z@home\.example/);
  await app.setValue("[data-testid=customer-search]", "");
});

test("a segment's count changes as a condition is added", async () => {
  await app.click("[data-testid=nav-segments]");
  const everyone = Number((await app.waitFor("[data-testid=segment-count]", (t) => /\d/.test(t))).replace(/\D/g, ""));
  await app.click("[data-testid=add-root] option[value=consent]");
  const consented = Number(
    (await app.waitFor("[data-testid=segment-count]", (t) => /\d/.test(t) && Number(t.replace(/\D/g, "")) !== everyone)).replace(/\D/g, ""),
  );
  assert.ok(consented > 0 && consented < everyone, `${consented} of ${everyone}`);
  await app.click("[data-testid=add-root] option[value=rfm_group]");
  await app.waitFor("[data-testid=funnel] li:nth-child(2)");
  await app.type("[data-testid=segment-name]", "Champions by email");
  await app.click("[data-testid=segment-save]");
  await app.waitFor("[data-testid=segment-notice]", (t) => t.includes("Champions by email"));
  assert.match(await app.text("[data-testid=segment-open]"), /Champions by email/);
  // A saved segment is a condition of another: the same customers, counted again.
  const champions = await app.text("[data-testid=segment-count]");
  await app.click("[data-testid=add-root] option[value=segment]");
  assert.equal(await app.property("[data-testid=segment-ref]", "value"), "Champions by email");
  await app.waitFor("[data-testid=funnel] li:nth-child(3)", (t) => t.includes("Champions by email"));
  assert.equal(await app.text("[data-testid=segment-count]"), champions);
  // First/last occurrence of an event, with a date test.
  await app.click("[data-testid=add-root] option[value=occurrence]");
  await app.waitFor("[data-testid=funnel] li:nth-child(4)", (t) => t.includes("last purchase in the last 30 days"));
  await app.click("[data-testid=group-root] > ul > li:nth-child(4) > button.remove");
  await app.waitFor("[data-testid=segment-count]", (t) => t === champions);
  await app.click("[data-testid=segment-export] summary");
  await app.waitFor("[data-testid=export-start]");
  await shoot("segments");
});

test("the preview shows a real customer's email with their name", async () => {
  await app.click("[data-testid=nav-preview]");
  const who = await app.waitFor("[data-testid=preview-card] .who", (t) => t.length > 3);
  const html = await app.attribute("[data-testid=email-frame]", "srcdoc");
  const firstName = who.replace(/^#\d+\s+/, "").split(/\s+/)[0];
  assert.ok(html.includes(firstName), `${firstName} in the email`);
  assert.equal(await app.attribute("[data-testid=email-frame]", "sandbox"), "");
  await shoot("preview");
  await app.click("[data-testid=preview-next]");
  await app.waitFor("[data-testid=preview-position]", (t) => t.startsWith("2 /"));
  await app.type("[data-testid=preview-search]", "customer7@");
  await app.waitFor("[data-testid=preview-found]", (t) => t.includes("customer7@example"));
  await app.click("[data-testid=preview-found]");
  await app.waitFor("[data-testid=preview-card] .who", (t) => t.includes("customer7@example"));
  await app.type("[data-testid=preview-search]", "王芳");
  await app.waitFor("[data-testid=preview-found]", (t) => t.includes("王芳"));
  await app.click("[data-testid=preview-found]");
  await app.waitFor("[data-testid=preview-card] .who", (t) => t.includes("王芳"));
  // Product images come from the workspace (the demo's shop does not exist); scripts stay off.
  await app.click("[data-testid=preview-template] option[value=recommendations-en]");
  for (let i = 0; !(await app.attribute("[data-testid=email-frame]", "srcdoc")).includes("data:image/svg+xml"); i++) {
    assert.ok(i < 100, "the recommendations show their product pictures");
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(await app.attribute("[data-testid=email-frame]", "sandbox"), "");
  await shoot("preview-images");
});

test("the template editor previews as you type and points at errors", async () => {
  await app.click("[data-testid=nav-templates]");
  await app.waitFor("[data-testid=email-subject]", (t) => t.length > 0);
  await app.waitFor("[data-testid=merge-fields] summary", (t) => /\(([1-9]\d*)\)/.test(t));
  await app.click("[data-testid=merge-fields] summary");
  // Missing fields over the segment built earlier, before anything is rendered.
  await app.click("[data-testid=missing-report] summary");
  await app.click("[data-testid=missing-check]");
  await app.waitFor("[data-testid=missing-report]", (t) => /\d+ (customers|of)/.test(t));
  await shoot("templates");
  // Saved under a new name, it becomes a template of the workspace.
  await app.type("[data-testid=template-save-name]", "welcome edited");
  await app.click("[data-testid=template-save-as]");
  await app.waitFor("[data-testid=template-status]", (t) => t.includes("welcome edited"));
  assert.match(await app.text("[data-testid=template-select]"), /welcome edited/);
  // A mistake is said in the user's language, where it is.
  await app.type("[data-testid=template-source] .cm-content", "<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{shout first_name}}");
  assert.match(await app.waitFor("[data-testid=template-error]", (t) => t.includes("shout")), /There is no helper called “shout”[\s\S]*Line 1, column \d+/);
  await app.click("[data-testid=language] option[value=zh]");
  assert.match(await app.waitFor("[data-testid=template-error]", (t) => t.includes("辅助函数")), /没有名为“shout”的辅助函数[\s\S]*第 1 行/);
  await shoot("templates-error-zh");
  await app.click("[data-testid=language] option[value=en]");
  await app.waitFor("[data-testid=template-error]", (t) => t.includes("There is no helper"));
  await app.type("[data-testid=template-source] .cm-content", "<mjml><mj-body>{{#if vip}}</mj-body></mjml>");
  const error = await app.waitFor("[data-testid=template-error]", (t) => !t.includes("shout"));
  assert.match(error, /1/);
  // The last version that rendered stays, saying it is not the edit.
  assert.match(await app.waitFor("[data-testid=email-frame-stale]"), /last version that rendered/);
  // Leaving the screen with an unsaved edit keeps it.
  await app.click("[data-testid=nav-customers]");
  await app.click("[data-testid=nav-templates]");
  await app.waitFor("[data-testid=template-unsaved]");
  assert.match(await app.text("[data-testid=template-source] .cm-content"), /\{\{#if vip\}\}/);
});

/** Starts the import in the wizard. A click on its button was seen lost now and then in full runs
 * (no progress, nothing imported: the click never reached the button); an import that started
 * shows its progress or its report at once, so a click without either is made again. */
async function startImport() {
  for (let attempt = 1; ; attempt++) {
    await app.click("[data-testid=import-start]");
    try {
      await app.waitFor("[data-testid=import-cancel], [data-testid=import-report]", () => true, 3000);
      return;
    } catch (e) {
      if (attempt === 3) throw e;
    }
  }
}

/** Waits until the attribute `name` of `css` passes `test`; returns it. */
/** A port free on this computer, outside the range the system gives outgoing connections. */
async function freePort() {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 10000);
    const free = await new Promise((done) => {
      const probe = createServer().once("error", () => done(false)).listen(port, "127.0.0.1", () => probe.close(() => done(true)));
    });
    if (free) return port;
  }
}

async function attributeFor(css, name, test, what) {
  for (let i = 0; ; i++) {
    const value = await app.attribute(css, name).catch(() => null);
    if (value !== null && test(value)) return value;
    if (i >= 150) writeFileSync(join(tmpdir(), "tessera-e2e-failure.png"), await app.screenshot());
    assert.ok(i < 150, what);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("the microsite editor previews any page as a customer at both widths and points at the file in error", async () => {
  await app.click("[data-testid=nav-templates]");
  await app.waitFor("[data-testid=template-select] option[value=loyalty-en]");
  await app.click("[data-testid=template-select] option[value=loyalty-en]");
  const page = await attributeFor("[data-testid=site-frame]", "srcdoc", (h) => h.includes("here is your club account"), "the loyalty page for the customer");
  // The page is self-contained (its image and styles inside) and cannot run code or navigate.
  assert.match(page, /src="data:image\/png;base64,/);
  assert.doesNotMatch(page, /\.\.\/assets\//);
  assert.match(page, /<style>body \{/, "the style sheet is in the page (the window allows inline styles only)");
  assert.equal(await app.attribute("[data-testid=site-frame]", "sandbox"), "");
  assert.match(await app.text("[data-testid=site-files]"), /index\.html\s*Your points[\s\S]*picks\.html\s*Picked for you[\s\S]*layout\.html/);
  assert.match(await app.text("[data-testid=site-assets]"), /assets\/hero\.png/);
  await app.waitFor("[data-testid=site-title]", (t) => t === "Your points");
  await shoot("site-editor");
  // Another page, at phone width.
  await app.click("[data-testid=site-page] option[value='picks.html']");
  await attributeFor("[data-testid=site-frame]", "srcdoc", (h) => h.includes("Picked for you"), "the picks page");
  await app.click("[data-testid=template-mobile]");
  await attributeFor(".preview-pane figure.email-frame", "data-width", (w) => w === "390", "the phone width");
  await shoot("site-editor-mobile");
  await app.click("[data-testid=template-desktop]");
  // A mistake in one file is shown in that file, with its line; the file list marks it.
  await app.click("[data-testid=site-file][data-file='preferences.html']");
  await app.waitFor("[data-testid=template-source] .cm-content", (t) => t.includes("form"));
  // (Typed without tags: the editor closes a tag as it is typed.)
  await app.type("[data-testid=template-source] .cm-content", "Closed before it opens {{/if}}");
  const error = await app.waitFor("[data-testid=template-error]", (t) => t.includes("preferences.html"));
  assert.match(error, /preferences\.html, line 1, column \d+/);
  await app.waitFor("[data-testid=site-file-error]");
  await app.waitFor("[data-testid=site-frame-stale]");
  assert.equal(await app.property("[data-testid=template-save]", "disabled"), true);
  await shoot("site-editor-error");
  await app.type("[data-testid=template-source] .cm-content", "Edited: {{page.title}}");
  await attributeFor("[data-testid=site-frame]", "srcdoc", (h) => h.includes("Edited: Your preferences"), "the edited page");
  for (let i = 0; (await app.findAll("[data-testid=template-error]")).length > 0; i++) {
    assert.ok(i < 100, "the error is gone once the page is right");
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal((await app.findAll("[data-testid=site-frame-stale]")).length, 0, "the preview is the edit again");
  await app.type("[data-testid=template-save-name]", "loyalty-mine");
  await app.click("[data-testid=template-save-as]");
  await app.waitFor("[data-testid=template-status]", (t) => t.includes("loyalty-mine"));
  assert.match(await app.text("[data-testid=template-select]"), /loyalty-mine/);
});

test("the storyboard editor draws any scene at any time for the customer and names what is wrong by scene", async () => {
  await app.click("[data-testid=nav-templates]");
  await app.waitFor("[data-testid=template-select] option[value=picks-en]");
  await app.click("[data-testid=template-select] option[value=picks-en]");
  const first = await attributeFor("[data-testid=storyboard-frame]", "src", (s) => s.startsWith("data:image/png;base64,"), "a frame of the first scene");
  await app.waitFor("[data-testid=storyboard-scene] option[value=coffee]");
  await app.click("[data-testid=storyboard-scene] option[value=coffee]");
  await attributeFor("[data-testid=storyboard-frame]", "src", (s) => s !== first && s.startsWith("data:image/png"), "the coffee scene's frame");
  await app.setValue("[data-testid=storyboard-time]", "2");
  await app.waitFor("[data-testid=storyboard-at]", (t) => t.startsWith("2.00"));
  await attributeFor("[data-testid=storyboard-frame]", "alt", (a) => /coffee at 2\.00 s/.test(a), "the frame 2 s into the scene");
  // The scenes as a graph: the choice to coffee is the default; choosing a scene shows it.
  assert.equal(await app.attribute("[data-testid=scene-edge-intro-coffee]", "data-kind"), "choice");
  assert.match(await app.attribute("[data-testid=scene-edge-intro-coffee]", "class"), /default/);
  assert.equal(await app.attribute("[data-testid=scene-edge-coffee-end]", "data-kind"), "next");
  await app.click("[data-testid=scene-node-tea]");
  // A scene opens at the moment everything in it has appeared (its texts fade in from 0 s).
  await attributeFor("[data-testid=storyboard-frame]", "alt", (a) => /tea at [1-4]\.\d\d s/.test(a), "the tea scene, chosen in the graph, once its texts are in");
  assert.equal(await app.attribute("[data-testid=scene-node-tea]", "aria-pressed"), "true");
  // 2 s in, once its texts have faded in.
  await app.setValue("[data-testid=storyboard-time]", "2");
  await attributeFor("[data-testid=storyboard-frame]", "alt", (a) => /tea at 2\.00 s/.test(a), "the tea scene 2 s in");
  // A layer's properties: its text and size edited there change the document and the frame.
  await app.click("[data-testid=layer-title]");
  await app.waitFor("[data-testid=layer-properties]");
  await app.waitFor("[data-testid=layer-outline]", () => true);
  const before = await app.attribute("[data-testid=storyboard-frame]", "src");
  await app.type("[data-testid=layer-text]", "Tea time, {{greeting_name}}");
  await attributeFor("[data-testid=storyboard-frame]", "src", (s) => s !== before, "the frame with the new text");
  const larger = await app.attribute("[data-testid=storyboard-frame]", "src");
  await app.type("[data-testid=layer-size]", "80");
  await attributeFor("[data-testid=storyboard-frame]", "src", (s) => s !== larger, "the frame with the larger text");
  // (The source follows: the player below plays the new text.)
  await app.waitFor("[data-testid=template-unsaved]");
  await shoot("storyboard-editor");
  // The customer's interactive player, in the sandboxed frame: it starts, offers the choices at the end of the intro, and plays the one chosen.
  await app.click("[data-testid=scene-node-intro]");
  await app.click("[data-testid=storyboard-play]");
  assert.match(await app.waitFor("[data-testid=storyboard-rendering]", (t) => t.length > 0, 10000), /Rendering the interactive player for \S/);
  await app.waitFor("[data-testid=storyboard-player]", () => true, 180000);
  assert.equal(await app.attribute("[data-testid=storyboard-player]", "sandbox"), "allow-scripts");
  await app.enterFrame("[data-testid=storyboard-player]");
  try {
    await app.waitFor("#start");
    assert.match(await app.text("#chapters"), /Choose[\s\S]*Coffee[\s\S]*Tea[\s\S]*Skincare/);
    await app.click("#start");
    for (let i = 0; !(await app.execute("return document.getElementById('video').currentTime > 0.2")); i++) {
      assert.ok(i < 200, "the intro plays");
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(await app.execute("return document.getElementById('video').textTracks[0].cues.length > 0"), "captions from the scene's text");
    const offered = await app.waitFor("#choices .buttons", (t) => t.includes("Tea"), 30000);
    assert.match(offered, /Coffee[\s\S]*Tea[\s\S]*Skincare/);
    const [tea] = (await app.findAll("#choices .buttons button")).slice(1, 2);
    await app.call("POST", `/element/${tea}/click`, {});
    for (let i = 0; !(await app.execute("return /scenes\\/tea\\.mp4$/.test(document.getElementById('video').src) && document.getElementById('video').currentTime > 0.2")); i++) {
      assert.ok(i < 200, "the tea scene plays");
      await new Promise((r) => setTimeout(r, 100));
    }
    // Its text was changed above: the player plays the storyboard as edited.
    assert.ok(await app.execute("return [...document.getElementById('video').textTracks[0].cues].some((c) => c.text.startsWith('Tea time, '))"));
  } finally {
    await app.leaveFrame();
  }
  await shoot("storyboard-player");
  await app.click("[data-testid=storyboard-player-close]");
  await app.waitFor("[data-testid=storyboard-frame]", () => true);
  await app.type("[data-testid=template-source] .cm-content", '{"format": 1, "name": "x", "canvas": {"width": 640, "height": 360, "fps": 30}, "start": "a", "scenes": [{"id": "a", "duration": 2, "next": "nowhere"}]}');
  const errors = await app.waitFor("[data-testid=storyboard-errors]", (t) => t.includes("nowhere"));
  assert.match(errors, /Scene “a”: next is 'nowhere', which is not a scene/);
  await shoot("storyboard-editor-error");
});

test("a campaign with two variants and a holdout is split, saved, previewed and rendered", async () => {
  await app.click("[data-testid=nav-campaigns]");
  await app.waitFor("[data-testid=variant-0-en] option");
  await app.type("[data-testid=campaign-name]", "Spring sale");
  await app.click("[data-testid=campaign-add-variant]");
  await app.waitFor("[data-testid=variant-1-en] option[value=welcome-en]");
  await app.click("[data-testid=variant-1-en] option[value=welcome-en]");
  await app.click("[data-testid=variant-1-zh] option[value=welcome-zh]");
  await app.type("[data-testid=variant-1-weight]", "3");
  await app.type("[data-testid=campaign-holdout]", "10");
  // The split follows the weights: B weighs three times A.
  await app.waitFor("[data-testid=campaign-split]", (t) => /Held out/.test(t));
  const arms = async () => (await app.findAll("[data-testid=split-arm]")).length;
  for (let i = 0; (await arms()) !== 3; i++) {
    assert.ok(i < 100, "two variants and the holdout");
    await new Promise((r) => setTimeout(r, 100));
  }
  const count = async (n) => Number((await app.text(`[data-testid=split-arm]:nth-child(${n}) td:last-child`)).replace(/\D/g, ""));
  const counts = [await count(1), await count(2)];
  assert.ok(counts[1] > 2 * counts[0], `B gets about three times A: ${counts}`);
  assert.match(await app.text("[data-testid=campaign-srm]"), /fit the weights/);
  await app.click("[data-testid=campaign-save]");
  await app.waitFor("[data-testid=campaign-notice]", (t) => t.includes("Spring sale"));
  const out = join(scratch, "campaign");
  await app.type("[data-testid=campaign-out]", out);
  await app.click("[data-testid=campaign-render]");
  const summary = await app.waitFor("[data-testid=campaign-summary]", (t) => /\d+/.test(t), 60000);
  const rendered = Number(summary.match(/[\d,]+/)[0].replace(/,/g, ""));
  assert.ok(rendered > 0, summary);
  const files = readdirSync(out);
  assert.ok(files.includes("manifest.json"));
  assert.equal(files.length, rendered + 2, "one file per customer, the manifest and the folder's marker");
  await app.waitFor("[data-testid=campaign-run]", (t) => /done/.test(t));
  await shoot("campaigns");
  // No file manager on this computer: the folder's path is offered to copy, not silence.
  await app.click("[data-testid=campaign-open-folder]");
  await attributeFor("[data-testid=campaign-open-path]", "value", (v) => v === out, "the folder's path to copy");
  // A folder with someone else's files is refused, in words the user can act on.
  const theirs = join(scratch, "theirs");
  mkdirSync(theirs);
  writeFileSync(join(theirs, "notes.txt"), "mine");
  await app.type("[data-testid=campaign-out]", theirs);
  await app.click("[data-testid=campaign-render]");
  const refused = await app.waitFor(".campaigns [role=alert]", (t) => t.length > 0);
  assert.match(refused, /Choose an empty folder/);
  assert.deepEqual(readdirSync(theirs), ["notes.txt"]);
  // The preview shows each customer the variant the campaign gives them.
  await app.click("[data-testid=nav-preview]");
  await app.waitFor("[data-testid=preview-campaign] option[value='Spring sale']");
  await app.click("[data-testid=preview-campaign] option[value='Spring sale']");
  await app.waitFor("[data-testid=preview-variant]", (t) => /Variant [AB]: |Held out|Opted out|No email/.test(t));
  await shoot("preview-campaign");
  // Back on Campaigns, the campaign being edited, its folder and what was said are still there.
  await app.click("[data-testid=nav-campaigns]");
  assert.equal(await app.property("[data-testid=campaign-name]", "value"), "Spring sale");
  assert.equal(await app.property("[data-testid=campaign-out]", "value"), theirs);
  assert.match(await app.text(".campaigns [role=alert]"), /Choose an empty folder/);
  // A saved segment is an audience: how many will get it shows before anything is rendered.
  await app.waitFor("[data-testid=campaign-audience] option[value='segment:Champions by email']");
  await app.click("[data-testid=campaign-audience] option[value='segment:Champions by email']");
  await app.waitFor("[data-testid=campaign-recipients]", (t) => /[\d,]+ customers? will get/.test(t));
  await shoot("campaigns-segment");
});

test("a campaign gives each customer a personal site, served from the app with live counts", async () => {
  await app.click("[data-testid=nav-campaigns]");
  await app.waitFor("[data-testid=campaign-open] option[value='Spring sale']");
  await app.click("[data-testid=campaign-open] option[value='Spring sale']");
  await app.waitFor("[data-testid=variant-0-en-site] option[value=loyalty-en]");
  await app.click("[data-testid=variant-0-en-site] option[value=loyalty-en]");
  await app.click("[data-testid=variant-0-zh-site] option[value=loyalty-zh]");
  await app.click("[data-testid=variant-1-en-site] option[value=loyalty-mine]");
  await app.click("[data-testid=variant-1-zh-site] option[value=loyalty-zh]");
  // Served where the emails' links point: a port free on this computer.
  // Below the ephemeral range (32768–60999): the driver's own connections take ports from that
  // range, and one holding this port would keep the site from being served again later.
  const port = await freePort();
  await app.type("[data-testid=campaign-base-url]", `http://127.0.0.1:${port}`);
  await app.click("[data-testid=campaign-save]");
  await app.waitFor("[data-testid=campaign-notice]", (t) => t.includes("Spring sale"));
  const out = join(scratch, "campaign-sites");
  await app.type("[data-testid=campaign-out]", out);
  await app.click("[data-testid=campaign-render]");
  await app.waitFor("[data-testid=campaign-summary]", (t) => /\d+/.test(t), 90000);
  const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
  const someone = manifest.rendered.find((r) => r.slug);
  assert.ok(someone, "customers have personal sites");
  await app.click("[data-testid=serve-start]");
  await attributeFor("[data-testid=serve-address]", "value", (v) => v === `http://127.0.0.1:${port}/`, "the address the emails link to");
  // A real visit from outside the app, then a form sent: the counts follow.
  const visit = await fetch(`http://127.0.0.1:${port}/${someone.slug}/`);
  assert.equal(visit.status, 200);
  assert.equal(visit.headers.get("referrer-policy"), "no-referrer");
  const sent = await fetch(`http://127.0.0.1:${port}/${someone.slug}/form/preferences`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "frequency=monthly&topics=tea",
  });
  assert.equal(sent.status, 200);
  await app.waitFor("[data-testid=serve-visits]", (t) => t === "1");
  await app.waitFor("[data-testid=serve-submissions]", (t) => t === "1");
  await app.scrollIntoView("[data-testid=serve-counts]");
  await shoot("campaigns-serve");
  // What the server recorded is what segments see: one customer visited, one answered.
  await app.click("[data-testid=nav-segments]");
  for (let i = 0; (await app.findAll("[data-testid=group-root] > ul > li")).length > 0; i++) {
    assert.ok(i < 20, "the conditions are removed");
    await app.click("[data-testid=group-root] > ul > li:nth-child(1) > button.remove");
  }
  await app.click("[data-testid=add-root] option[value=event]");
  await app.type("[data-testid=event-type]", "microsite_visit");
  await app.waitFor("[data-testid=segment-count]", (t) => t === "1");
  await app.type("[data-testid=event-type]", "form_submission");
  await app.waitFor("[data-testid=segment-count]", (t) => t === "1");
  await app.click("[data-testid=group-root] > ul > li:nth-child(1) > button.remove");
  await app.click("[data-testid=nav-campaigns]");
  await app.click("[data-testid=serve-stop]");
  await app.waitFor("[data-testid=serve-start]");
  await assert.rejects(fetch(`http://127.0.0.1:${port}/`), "the port is closed once stopped");
  // The customer's profile lists the campaign with the address of their own site.
  const db = join(scratch, "tessera/demo/workspace.sqlite");
  const shown = JSON.parse(execFileSync(join(root, "target/debug/tessera"), ["--db", db, "customers", "show", String(someone.customer_id), "--json"]).toString());
  await app.click("[data-testid=nav-customers]");
  await app.type("[data-testid=customer-search]", shown.email);
  await app.waitFor("[data-testid=customer-total]", (t) => t === "1 customer");
  await app.click("[data-testid=customer-rows] [role=row]");
  await app.waitFor("[data-testid=profile-site-url]", (t) => t === `http://127.0.0.1:${port}/${someone.slug}/`);
  assert.match(await app.text("[data-testid=profile-received]"), /Spring sale/);
  // Their visit and answers on the timeline, in words.
  const timeline = await app.waitFor("[data-testid=profile-events]", (t) => t.includes("Sent a form"));
  assert.match(timeline, /Sent a form · Campaign: Spring sale · Variant: [AB] · Form: preferences · Answers: Frequency: monthly, Topics: tea/);
  assert.match(timeline, /Visited their page/);
  assert.doesNotMatch(timeline, /[{}"]/, "no data shown as JSON");
  await app.scrollIntoView("[data-testid=profile-received]");
  await shoot("customers-received");
  await app.type("[data-testid=customer-search]", "");
});

test("a rendered campaign is sent through the user's mail server: settings, a test message, pause and resume", async () => {
  // A real SMTP server on loopback (Python's aiosmtpd) that records what it takes.
  const sinkDir = mkdtempSync(join(scratch, "smtp-"));
  const sink = spawn("python3", [join(root, "tests/support/smtp_sink.py"), "--port-file", join(sinkDir, "port"), "--received", join(sinkDir, "received.jsonl")], { stdio: "ignore" });
  try {
    let port = null;
    for (let i = 0; port === null; i++) {
      assert.ok(i < 300, "the SMTP server started");
      try { port = readFileSync(join(sinkDir, "port"), "utf8").trim(); } catch { await new Promise((r) => setTimeout(r, 100)); }
    }
    const received = () => {
      try { return readFileSync(join(sinkDir, "received.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l)); } catch { return []; }
    };
    await app.click("[data-testid=nav-campaigns]");
    await app.waitFor("[data-testid=campaign-open] option[value='Spring sale']");
    await app.click("[data-testid=campaign-open] option[value='Spring sale']");
    await app.waitFor("[data-testid=send-panel]");
    // Mistakes are shown at their field before anything is tried.
    await app.type("[data-testid=send-host]", "");
    await app.type("[data-testid=send-port]", "99999");
    await app.click("[data-testid=send-check]");
    await app.waitFor("[data-testid=send-error-host]", (t) => /host name/.test(t));
    await app.waitFor("[data-testid=send-error-port]", (t) => /65535/.test(t));
    await app.type("[data-testid=send-host]", "127.0.0.1");
    await app.type("[data-testid=send-port]", port);
    await app.click("[data-testid=send-security] option[value=none]");
    await app.click("[data-testid=send-check]");
    await app.waitFor("[data-testid=send-checked]", (t) => /Connected/.test(t));
    // A test message to the user's own address: not a delivery. Of a customer the render wrote
    // an email for (the campaign's seed is its own, so customer 1 may be held out).
    const rendered = readdirSync(join(scratch, "campaign")).filter((f) => /^\d+\.eml$/.test(f)).map((f) => parseInt(f, 10)).sort((a, b) => a - b)[0];
    await app.type("[data-testid=send-test-customer]", String(rendered));
    await app.type("[data-testid=send-test-to]", "me@shop.example");
    await app.click("[data-testid=send-test]");
    await app.waitFor("[data-testid=send-tested]", (t) => t.includes("me@shop.example"));
    assert.deepEqual(received().map((m) => m.to[0]), ["me@shop.example"]);
    assert.match(received()[0].subject, /^\[Test\]/);
    // The send, paused and resumed: nothing goes out while paused, everyone gets one message.
    await app.type("[data-testid=send-rate]", "300");
    await app.click("[data-testid=send-start]");
    await app.waitFor("[data-testid=send-progress]", (t) => /^[1-9]/.test(t), 60000);
    await app.click("[data-testid=send-pause]");
    await app.waitFor("[data-testid=send-progress]", (t) => /paused/.test(t));
    await new Promise((r) => setTimeout(r, 1000));
    const whilePaused = received().length;
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(received().length, whilePaused, "nothing is sent while paused");
    await shoot("campaigns-send");
    await app.click("[data-testid=send-resume]");
    const report = await app.waitFor("[data-testid=send-report]", (t) => /sent now/.test(t), 120000);
    const sent = Number(report.match(/^([\d,]+) sent now/)[1].replace(/,/g, ""));
    const addresses = received().slice(1).map((m) => m.to[0]);
    assert.equal(addresses.length, sent, report);
    assert.equal(new Set(addresses).size, sent, "no one got two");
    await app.waitFor("[data-testid=send-count-sent]", (t) => Number(t.replace(/,/g, "")) === sent);
    await app.scrollIntoView("[data-testid=send-panel]");
    await shoot("campaigns-sent");
    // Sending again sends nothing: every message is already sent.
    await app.click("[data-testid=send-start]");
    await app.waitFor("[data-testid=send-report]", (t) => t.startsWith("0 sent now"), 60000);
    assert.equal(received().length, sent + 1);
    // The customer's profile says their email was sent.
    const someone = received()[1].to[0];
    await app.click("[data-testid=nav-customers]");
    await app.type("[data-testid=customer-search]", someone);
    await app.waitFor("[data-testid=customer-total]", (t) => t === "1 customer");
    await app.click("[data-testid=customer-rows] [role=row]");
    await app.waitFor("[data-testid=profile-email-state]", (t) => /Sent/.test(t));
    await app.type("[data-testid=customer-search]", "");
  } finally {
    sink.kill();
  }
});

test("a campaign's results say whether its hypothesis holds, with their charts, and the hypothesis is planned as it is edited", async () => {
  await app.click("[data-testid=nav-campaigns]");
  await app.waitFor("[data-testid=campaign-open] option[value='spring']");
  await app.click("[data-testid=campaign-open] option[value='spring']");
  // The demo campaign's hypothesis, recorded before its run, with the planner beside it.
  await app.waitFor("[data-testid=hypothesis-statement]");
  assert.equal(await app.property("[data-testid=hypothesis-statement]", "value"), "Personal recommendations lift purchases");
  await app.waitFor("[data-testid=hypothesis-plan]", (t) => /customers|history/.test(t));
  await app.scrollIntoView("[data-testid=campaign-hypothesis]");
  await new Promise((r) => setTimeout(r, 300));
  await shoot("campaigns-hypothesis");
  // Its run's results: the holdout and both variants, their rates drawn, and no verdict before
  // anyone has bought since the run.
  assert.match(await app.waitFor("[data-testid=results-verdict]", (t) => t.length > 0), /Not yet decidable/);
  assert.equal((await app.findAll("[data-testid=results-arm]")).length, 3);
  assert.match(await app.text("[data-testid=results-notes]"), /No outcomes yet/);
  assert.match(await app.text("[data-testid=results-table]"), /Held out \(control\)/);
  assert.ok((await app.property("[data-testid=results-rates-chart]", "width")) > 0, "the rates are drawn");
  assert.ok((await app.property("[data-testid=results-days-chart]", "width")) > 0, "the days are drawn");
  await app.scrollIntoView("[data-testid=results-panel]");
  await new Promise((r) => setTimeout(r, 300));
  await shoot("campaigns-results");
  // A hypothesis the campaign cannot test is named at its field: a window of no days, a control
  // the campaign does not have once the holdout is gone.
  await app.type("[data-testid=hypothesis-window]", "0");
  await app.waitFor("[data-testid='field-error-hypothesis.window_days']", (t) => /1 to 366 days/.test(t));
  await app.type("[data-testid=hypothesis-window]", "14");
  await app.type("[data-testid=campaign-holdout]", "0");
  await app.waitFor("[data-testid='field-error-hypothesis.control']", (t) => /holds nobody out/.test(t));
  await app.click("[data-testid=hypothesis-control] option[value=B]");
  await app.waitFor("[data-testid=campaign-split]", (t) => !/Held out/.test(t));
  assert.equal((await app.findAll("[data-testid='field-error-hypothesis.control']")).length, 0);
  // The next campaign builds on this one: a segment of those who received B, counted as it is built.
  await app.click("[data-testid=nav-segments]");
  await app.click("[data-testid=add-root] option[value=campaign]");
  await app.click("[data-testid=segment-campaign] option[value=spring]");
  await app.waitFor("[data-testid=segment-campaign-arm] option[value=B]");
  await app.click("[data-testid=segment-campaign-arm] option[value=B]");
  await app.click("[data-testid=segment-campaign-converted] option[value=no]");
  const step = await app.waitFor("[data-testid=funnel]", (t) => t.includes("received B of “spring” and did not convert"));
  assert.match(step, /received B of “spring” and did not convert\D*[\d,]+/);
  await app.click("[data-testid=group-root] > ul > li:last-child > button.remove");
  for (let i = 0; (await app.findAll("[data-testid=funnel]")).length > 0; i++) {
    assert.ok(i < 100, "the condition is removed");
    await new Promise((r) => setTimeout(r, 100));
  }
});

test("a campaign variant can carry a video storyboard per language, its files chosen", async () => {
  await app.click("[data-testid=nav-campaigns]");
  await app.waitFor("[data-testid=variant-0-en-video] option[value=picks-en]");
  assert.equal((await app.findAll("[data-testid=campaign-video-formats]")).length, 0, "no video, no video files to choose");
  await app.click("[data-testid=variant-0-en-video] option[value=picks-en]");
  await app.click("[data-testid=variant-0-zh-video] option[value=picks-zh]");
  await app.waitFor("[data-testid=campaign-video-formats]", (t) => t.includes("Interactive player"));
  for (const f of ["poster", "gif", "mp4", "player"]) assert.equal(await app.property(`[data-testid=campaign-video-${f}]`, "checked"), true, f);
  // The royalty-free WebM is offered, not made unless chosen.
  assert.equal(await app.property("[data-testid=campaign-video-webm]", "checked"), false);
  assert.match(await app.text("[data-testid=campaign-video-formats]"), /royalty-free \(WebM, VP9\)/);
  // The players are personal pages: their address is asked for.
  await app.waitFor("[data-testid=campaign-base-url]");
  await app.click("[data-testid=campaign-video-poster]");
  await app.click("[data-testid=campaign-video-gif]");
  await app.click("[data-testid=campaign-video-mp4]");
  // The last format cannot be turned off: a video is at least one file.
  assert.equal(await app.property("[data-testid=campaign-video-player]", "disabled"), true);
  await app.scrollIntoView("[data-testid=campaign-video-formats]");
  await shoot("campaigns-video");
  await app.click("[data-testid=variant-0-en-video] option[value='']");
  await app.click("[data-testid=variant-0-zh-video] option[value='']");
});

test("the interface switches to Simplified Chinese", async () => {
  await app.click("[data-testid=language] option[value=zh]");
  await app.waitFor("[data-testid=nav-customers]", (t) => t === "客户");
  await app.click("[data-testid=nav-segments]");
  await app.waitFor("[data-testid=segment-count]", (t) => /\d/.test(t));
  await shoot("segments-zh");
  // The import wizard's explanation of colliding columns, in Chinese.
  await app.click("[data-testid=nav-customers]");
  await app.click("[data-testid=import-open]");
  await app.type("[data-testid=import-path]", join(scratch, "colliding.csv"));
  assert.match(await app.waitFor("[data-testid=import-problem]", (t) => t.length > 0), /都会导入为属性“city”/);
  await shoot("import-problem-zh");
  await app.click("[data-testid=import-close]");
  await app.type("[data-testid=customer-search]", "wang.fang@");
  await app.waitFor("[data-testid=customer-total]", (t) => t === "共 1 位客户");
  await app.click("[data-testid=customer-rows] [role=row]");
  assert.equal(await app.waitFor("[data-testid=profile-name]", (t) => t !== "…"), "王芳");
  assert.match(await app.waitFor("[data-testid=profile-attributes]", (t) => t.includes("杭州")), /会员等级\s*金卡/);
  assert.match(await app.text("[data-testid=profile-keys]"), /邮箱 · wang\.fang@example\.cn/);
  await shoot("customers-profile-zh");
  await app.click("[data-testid=nav-preview]");
  await app.waitFor("[data-testid=preview-card] .who", (t) => t.length > 0);
  await shoot("preview-zh");
  await app.click("[data-testid=nav-templates]");
  await app.waitFor("[data-testid=template-select] option[value=loyalty-zh]");
  await app.click("[data-testid=template-select] option[value=loyalty-zh]");
  await attributeFor("[data-testid=site-frame]", "srcdoc", (h) => h.includes("会员"), "the Chinese loyalty page");
  await app.waitFor("[data-testid=site-files]", (t) => t.includes("页面"));
  await shoot("site-editor-zh");
  await app.click("[data-testid=template-select] option[value=year-in-review-zh]");
  await attributeFor("[data-testid=storyboard-frame]", "alt", (a) => a.includes("intro"), "the Chinese storyboard's frame");
  for (let i = 0; !((await app.property("[data-testid=storyboard-frame]", "complete")) && (await app.property("[data-testid=storyboard-frame]", "naturalWidth")) > 0); i++) {
    assert.ok(i < 100, "the frame shows");
    await new Promise((r) => setTimeout(r, 100));
  }
  // (A frame of 1280×720 is decoded, then painted: the screenshot waits for the paint.)
  await new Promise((r) => setTimeout(r, 800));
  await shoot("storyboard-editor-zh");
  await app.click("[data-testid=storyboard-play]");
  await app.waitFor("[data-testid=storyboard-player]", () => true, 180000);
  await app.enterFrame("[data-testid=storyboard-player]");
  try {
    await app.waitFor("#start", (t) => t.includes("播放"));
    assert.equal(await app.execute("return document.documentElement.lang"), "zh");
  } finally {
    await app.leaveFrame();
  }
  await new Promise((r) => setTimeout(r, 800));
  await shoot("storyboard-player-zh");
  await app.click("[data-testid=storyboard-player-close]");
  await app.click("[data-testid=nav-campaigns]");
  await app.waitFor("[data-testid=campaign-recipients]", (t) => /位客户/.test(t));
  await shoot("campaigns-zh");
  // An earlier render's sites, served again from the list of runs.
  await app.waitFor("[data-testid=campaign-open] option[value='Spring sale']");
  await app.click("[data-testid=campaign-open] option[value='Spring sale']");
  await app.waitFor("[data-testid=campaign-run-serve]", (t) => t === "发布其站点");
  assert.equal((await app.findAll("[data-testid=campaign-run-serve]")).length, 1, "only the render with sites can be served");
  await app.click("[data-testid=campaign-run-serve]");
  await app.click("[data-testid=serve-start]");
  await app.waitFor("[data-testid=serve-running]", (t) => t.includes("正在发布"));
  await app.scrollIntoView("[data-testid=serve-stop]");
  await new Promise((r) => setTimeout(r, 500));
  await shoot("campaigns-serve-zh");
  await app.click("[data-testid=serve-stop]");
  // The send step in Chinese, with the states of the campaign's messages.
  await app.waitFor("[data-testid=send-panel] h3", (t) => t === "发送邮件");
  await app.scrollIntoView("[data-testid=send-states]");
  await new Promise((r) => setTimeout(r, 300));
  await shoot("campaigns-send-zh");
  // Its results in Chinese.
  assert.match(await app.waitFor("[data-testid=results-verdict]", (t) => t.length > 0), /尚无法判定/);
  await app.scrollIntoView("[data-testid=results-panel]");
  await new Promise((r) => setTimeout(r, 300));
  await shoot("campaigns-results-zh");
  await app.click("[data-testid=language] option[value=en]");
});

/** Answers the system's file dialog titled `title` (a window of its own process) with `path`. */
function answerFileDialog(title, path, key) {
  const found = execFileSync("xdotool", ["search", "--sync", "--onlyvisible", "--name", `^${title}$`], { timeout: 30000 });
  const window = found.toString().trim().split("\n")[0];
  // Mapped is not yet ready for keys: GTK fills the dialog in just after.
  execFileSync("sleep", ["1.5"]);
  execFileSync("xdotool", ["windowfocus", "--sync", window]);
  // The location field (open) or the name field (save), whole, then the path.
  execFileSync("xdotool", ["key", "--window", window, key]);
  execFileSync("sleep", ["0.5"]);
  execFileSync("xdotool", ["type", "--window", window, "--delay", "20", path]);
  execFileSync("sleep", ["0.5"]);
  execFileSync("xdotool", ["key", "--window", window, "Return"]);
}

/** Whether the app's process holds SQLite's POSIX locks on `file` (its inode in /proc/locks). */
function appLocks(file) {
  const inode = statSync(file).ino;
  const pids = execFileSync("pgrep", ["-f", `^${application}$`]).toString().trim().split("\n");
  return readFileSync("/proc/locks", "utf8")
    .split("\n")
    .some((l) => l.includes(" POSIX ") && pids.some((p) => l.includes(` ${p} `)) && l.includes(`:${inode} `));
}

test("a workspace created or opened in the file dialog stays locked while another program uses it", async () => {
  await app.click("[data-testid=nav-workspace]");
  const created = join(scratch, "new-shop.sqlite");
  await app.click("[data-testid=create-file]");
  answerFileDialog("Create a workspace", created, "ctrl+a");
  await app.waitFor("[data-testid=workspace-status]", (t) => t.includes("new-shop.sqlite"), 30000);
  // Another program opens and closes it (as the CLI may): the app keeps its locks, so that
  // program's close neither checkpoints nor deletes the WAL under the app.
  execFileSync("python3", ["-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('SELECT count(*) FROM templates').fetchall(); c.close()", created]);
  assert.ok(appLocks(created), "the app holds its lock on the workspace");
  assert.ok(appLocks(`${created}-shm`), "the app holds its lock on the shared memory");
  // A workspace made elsewhere, opened in the Open dialog.
  const made = join(scratch, "made.sqlite");
  execFileSync(join(root, "target/debug/tessera"), ["--db", made, "template", "install-starters"]);
  await app.click("[data-testid=open-file]");
  answerFileDialog("Open a workspace", made, "ctrl+l");
  await app.waitFor("[data-testid=workspace-status]", (t) => t.includes("made.sqlite"), 30000);
  execFileSync("python3", ["-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('SELECT count(*) FROM templates').fetchall(); c.close()", made]);
  assert.ok(appLocks(made) && appLocks(`${made}-shm`), "the app holds its locks on the opened workspace");
  await app.click("[data-testid=open-demo]");
  await app.waitFor("[data-testid=workspace-status]", (t) => t.includes("demo"), 60000);
});

test("two campaigns made in the app are keyed by seeds of their own", async () => {
  await app.click("[data-testid=nav-campaigns]");
  await app.waitFor("[data-testid=variant-0-en] option");
  for (const name of ["Seeded one", "Seeded two"]) {
    await app.waitFor("[data-testid=campaign-new]");
    await app.click("[data-testid=campaign-new]");
    // The new campaign is in place once its name is the default one again.
    for (let i = 0; (await app.property("[data-testid=campaign-name]", "value")) !== "New campaign"; i++) {
      assert.ok(i < 100, "no new campaign");
      await new Promise((r) => setTimeout(r, 100));
    }
    await app.type("[data-testid=campaign-name]", name);
    await app.waitFor("[data-testid=campaign-split]");
    await app.click("[data-testid=campaign-save]");
    await app.waitFor("[data-testid=campaign-notice]", (t) => t.includes(name));
  }
  const db = join(scratch, "tessera/demo/workspace.sqlite");
  const seed = (name) => JSON.parse(execFileSync(join(root, "target/debug/tessera"), ["--db", db, "campaign", "show", name, "--json"]).toString()).seed;
  const [one, two] = [seed("Seeded one"), seed("Seeded two")];
  assert.notEqual(one, two, "two campaigns share a seed, so one split and one set of personal URLs");
  assert.ok(one !== "Seeded one" && two !== "Seeded two" && one.length >= 16, `${one} ${two}`);
});

test("a mistake in a campaign is shown at its field in the user's language, and the split stays", async () => {
  await app.click("[data-testid=nav-campaigns]");
  await app.waitFor("[data-testid=campaign-split]");
  await app.type("[data-testid=campaign-name]", "Spring/Summer");
  assert.match(await app.waitFor("[data-testid='field-error-name']"), /cannot contain “\/”/);
  await app.waitFor("[data-testid=campaign-split-stale]");
  assert.equal(await app.attribute("[data-testid=campaign-name]", "aria-invalid"), "true");
  assert.equal(await app.property("[data-testid=campaign-save]", "disabled"), true);
  assert.equal((await app.findAll("[data-testid=campaign-problem]")).length, 0, "said at the field, not at the bottom of the page");
  await shoot("campaigns-field-error");
  await app.click("[data-testid=language] option[value=zh]");
  assert.match(await app.waitFor("[data-testid='field-error-name']", (t) => /名称/.test(t)), /不能包含“\/”/);
  await shoot("campaigns-field-error-zh");
  await app.click("[data-testid=language] option[value=en]");
  // A variant's mistake is said under that variant.
  await app.type("[data-testid=campaign-name]", "Summer");
  await app.type("[data-testid=variant-0-weight]", "0");
  assert.match(await app.waitFor("[data-testid='field-error-variants.0.weight']"), /^Variant A: a weight is a number above 0/);
  await app.type("[data-testid=variant-0-weight]", "1");
  for (let i = 0; (await app.findAll("[data-testid=campaign-split-stale]")).length > 0; i++) {
    assert.ok(i < 100, "the split follows again once the campaign is right");
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal((await app.findAll(".field-error")).length, 0);
});

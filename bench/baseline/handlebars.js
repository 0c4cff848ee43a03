// Baseline for `tessera bench`: handlebars.js merging the same compiled HTML with the same data
// on one core. Usage: node handlebars.js TEMPLATE.html DATA.json SECONDS
const fs = require("fs");
const Handlebars = require("handlebars");
const [template, dataFile, seconds] = process.argv.slice(2);
const source = fs.readFileSync(template, "utf8");
const customers = JSON.parse(fs.readFileSync(dataFile, "utf8"));
// Formatters are cached: constructing Intl.NumberFormat per call would slow the baseline unfairly.
const formats = {};
const helpers = {
  default: (...a) => a.slice(0, -1).find((v) => v !== undefined && v !== null && String(v).trim() !== "") ?? null,
  currency: (v, code) => (formats[code] ??= new Intl.NumberFormat("en-US", { style: "currency", currency: code })).format(v),
  capitalize: (s) => (s ? String(s)[0].toUpperCase() + String(s).slice(1) : ""),
  contains: (list, x) => Array.isArray(list) && list.includes(x),
  length: (v) => (v ? v.length : 0),
  add: (a, b) => Number(a) + Number(b),
  plural: (n, one, many) => (Number(n) === 1 ? one : many),
};
for (const [name, fn] of Object.entries(helpers)) Handlebars.registerHelper(name, fn);
const render = Handlebars.compile(source);
let n = 0, bytes = 0;
const start = process.hrtime.bigint();
const limit = BigInt(Math.round(Number(seconds) * 1e9));
while (process.hrtime.bigint() - start < limit) {
  for (let i = 0; i < 1000; i++) bytes += render(customers[(n + i) % customers.length]).length;
  n += 1000;
}
const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
console.log(JSON.stringify({ emails_per_second: n / elapsed, average_bytes: bytes / n }));

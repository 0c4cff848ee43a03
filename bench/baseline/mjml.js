// Baseline for `tessera bench`: mjml (Node) compiling the same templates. Usage: node mjml.js FILE...
const fs = require("fs");
const mjml2html = require("mjml");
const runs = 50;
const results = {};
for (const file of process.argv.slice(2)) {
  const source = fs.readFileSync(file, "utf8");
  mjml2html(source, { validationLevel: "skip" });
  const start = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) mjml2html(source, { validationLevel: "skip" });
  results[file] = Number(process.hrtime.bigint() - start) / 1e6 / runs;
}
console.log(JSON.stringify(results));

// Runs the Jira Service Management guide's Forge functions (src/index.js) in Node, with
// @forge/api and @forge/kvs replaced by the stand-ins next to this file (copied into the
// test's node_modules). node jsm.mjs <index.mjs> <mode>  < JSON input  (modes: link, sign, verify, webhook)
// link: the trigger on a new issue (`event`); sign: what signedPortalLink makes of each of
// `cases` ({flow, values}): {link} or {error}.
import fs from "node:fs";
import { pathToFileURL } from "node:url";

const [indexPath, mode] = process.argv.slice(2);
const input = JSON.parse(fs.readFileSync(0, "utf8") || "{}");
const app = await import(pathToFileURL(indexPath).href);

if (mode === "link") {
  await app.onIssueCreated(input.event);
  console.log(JSON.stringify({ created: input.event.issue.key }));
} else if (mode === "sign") {
  const results = input.cases.map((c) => {
    try {
      return { link: app.signedPortalLink(c.flow, c.values, 3600) };
    } catch (error) {
      return { error: String(error.message) };
    }
  });
  console.log(JSON.stringify({ results }));
} else if (mode === "verify") {
  const results = input.cases.map((c) => app.portalSignatureValid(c.secret, c.header, c.body, c.now));
  console.log(JSON.stringify({ results }));
} else if (mode === "webhook") {
  const answers = [];
  for (const request of input.requests) answers.push(await app.onPortalWebhook(request));
  console.log(JSON.stringify({ answers }));
} else {
  throw new Error("unknown mode " + mode);
}

// Runs the Zendesk guide's assets/main.js as the ticket sidebar would, with a stand-in for the
// ZAF client (metadata, get, invoke) and for the one element the app's page has.
// node zendesk.js <main.js>        env: PORTAL_URL, PREFILL_SECRET, PORTAL_FLOW, TICKET_ID, REQUESTER_NAME
//   clicks the app's button and prints what it invoked;
// node zendesk.js <main.js> sign   < {"cases": [{flow, values}]}
//   prints what the app's signedPortalLink made of each case: {link} or {error}.
"use strict";
const fs = require("fs");
const vm = require("vm");

const invoked = [];
const handlers = {};
globalThis.ZAFClient = {
  init() {
    return {
      metadata: async () => ({
        settings: {
          portal_url: process.env.PORTAL_URL,
          prefill_secret: process.env.PREFILL_SECRET,
          portal_flow: process.env.PORTAL_FLOW,
        },
      }),
      get: async (paths) => {
        const known = { "ticket.id": Number(process.env.TICKET_ID), "ticket.requester.name": process.env.REQUESTER_NAME };
        const answer = {};
        for (const path of [].concat(paths)) answer[path] = known[path];
        return answer;
      },
      invoke: async (name, ...args) => { invoked.push([name, ...args]); },
    };
  },
};
globalThis.document = {
  getElementById(id) {
    return { addEventListener(type, handler) { handlers[id + ":" + type] = handler; } };
  },
};

vm.runInThisContext(fs.readFileSync(process.argv[2], "utf8"), { filename: "main.js" });
(async () => {
  if (process.argv[3] === "sign") {
    const { cases } = JSON.parse(fs.readFileSync(0, "utf8"));
    const results = [];
    for (const c of cases) {
      try {
        results.push({ link: await globalThis.signedPortalLink(process.env.PORTAL_URL, process.env.PREFILL_SECRET, c.flow, c.values, 3600) });
      } catch (error) {
        results.push({ error: String(error.message) });
      }
    }
    console.log(JSON.stringify({ results }));
    return;
  }
  await handlers["insert-portal-link:click"]();
  console.log(JSON.stringify({ handlers: Object.keys(handlers), invoked }));
})();

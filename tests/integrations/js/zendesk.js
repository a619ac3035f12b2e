// Runs the Zendesk guide's assets/main.js as the ticket sidebar would, with a stand-in for the
// ZAF client (metadata, get, invoke) and for the one element the app's page has.
// node zendesk.js <main.js>   env: PORTAL_URL, PREFILL_SECRET, TICKET_ID, REQUESTER_NAME
"use strict";
const fs = require("fs");
const vm = require("vm");

const invoked = [];
const handlers = {};
globalThis.ZAFClient = {
  init() {
    return {
      metadata: async () => ({ settings: { portal_url: process.env.PORTAL_URL, prefill_secret: process.env.PREFILL_SECRET } }),
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
  await handlers["insert-portal-link:click"]();
  console.log(JSON.stringify({ handlers: Object.keys(handlers), invoked }));
})();

// Runs the Freshdesk guide's app (app/scripts/app.js in the ticket sidebar) and its serverless
// function (server/server.js) together, as the Freshworks platform would: a stand-in for the
// client (data.get, request.invoke, interface.trigger) and for the serverless globals
// (`exports =` assignment, `renderData`, secure iparams in args.iparams).
// node freshdesk.js <server.js> <app.js>   env: PORTAL_URL, PREFILL_SECRET, PORTAL_FLOW, TICKET_ID, REQUESTER_NAME
//   activates the app and prints what it triggered;
// node freshdesk.js <server.js> sign   < {"cases": [{flow, values}]}
//   prints what the function's signedPortalLink made of each case: {link} or {error}.
"use strict";
const fs = require("fs");
const vm = require("vm");

const [serverPath, appPath] = process.argv.slice(2);
const server = { exports: {}, require, console };
vm.createContext(server);
vm.runInContext(fs.readFileSync(serverPath, "utf8"), server, { filename: "server.js" });

function invokeServer(name, options) {
  return new Promise((resolve, reject) => {
    server.renderData = (error, data) => (error ? reject(error) : resolve({ response: data }));
    const iparams = {
      portal_url: process.env.PORTAL_URL,
      prefill_secret: process.env.PREFILL_SECRET,
      portal_flow: process.env.PORTAL_FLOW,
    };
    server.exports[name]({ ...options, iparams });
  });
}

if (appPath === "sign") {
  const { cases } = JSON.parse(fs.readFileSync(0, "utf8"));
  const results = cases.map((c) => {
    try {
      return { link: server.signedPortalLink(process.env.PORTAL_URL, process.env.PREFILL_SECRET, c.flow, c.values, 3600) };
    } catch (error) {
      return { error: String(error.message) };
    }
  });
  console.log(JSON.stringify({ results }));
  process.exit(0);
}

const triggered = [];
const handlers = {};
const client = {
  events: { on: (name, handler) => { handlers[name] = handler; } },
  data: {
    get: async (name) => ({
      ticket: { ticket: { id: Number(process.env.TICKET_ID), subject: "Printer offline" } },
      requester: { requester: { name: process.env.REQUESTER_NAME, email: "jane@example.com" } },
    })[name],
  },
  request: { invoke: invokeServer },
  interface: { trigger: async (action, options) => { triggered.push([action, options]); } },
};
const frontend = { app: { initialized: () => Promise.resolve(client) }, console };
vm.createContext(frontend);
vm.runInContext(fs.readFileSync(appPath, "utf8"), frontend, { filename: "app.js" });
(async () => {
  await new Promise((resolve) => setImmediate(resolve));  // app.initialized() resolves
  await handlers["app.activated"]();
  console.log(JSON.stringify({ handlers: Object.keys(handlers), triggered }));
})();

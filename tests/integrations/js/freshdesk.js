// Runs the Freshdesk guide's app (app/scripts/app.js in the ticket sidebar) and its serverless
// function (server/server.js) together, as the Freshworks platform would: a stand-in for the
// client (data.get, request.invoke, interface.trigger) and for the serverless globals
// (`exports =` assignment, `renderData`, secure iparams in args.iparams).
// node freshdesk.js <server.js> <app.js>   env: PORTAL_URL, PREFILL_SECRET, TICKET_ID, REQUESTER_NAME
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
    const iparams = { portal_url: process.env.PORTAL_URL, prefill_secret: process.env.PREFILL_SECRET };
    server.exports[name]({ ...options, iparams });
  });
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

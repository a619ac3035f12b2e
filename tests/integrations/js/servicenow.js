// A tiny stand-in for the ServiceNow server-side APIs the guide's ES5 scripts use, to run them
// in Node: gs.getProperty, GlideDateTime, GlideStringUtil.base64Encode,
// GlideCertificateEncryption.generateMac (Base64 HMAC, key given in Base64), GlideRecord over
// in-memory tables, and the Scripted REST request/response objects.
// node servicenow.js <mode> <script>...  < JSON input   (modes: link, sign, verify, webhook)
// Script Includes are loaded each on its own, as the instance loads them (loadInclude).
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const vm = require("vm");

const input = JSON.parse(fs.readFileSync(0, "utf8") || "{}");
const tables = input.tables || {};

function GlideRecord(table) { this._table = table; this._row = null; }
GlideRecord.prototype._fields = function () { return Object.keys(this).filter((k) => k[0] !== "_"); };
GlideRecord.prototype.get = function (field, value) {
  if (arguments.length === 1) { value = field; field = "sys_id"; }
  const row = (tables[this._table] || []).find((r) => String(r[field]) === String(value));
  this._row = row || null;
  return Boolean(row);
};
GlideRecord.prototype.getValue = function (field) { return this._row && field in this._row ? String(this._row[field]) : null; };
GlideRecord.prototype.getDisplayValue = function (field) {
  if (!this._row) return "";
  const display = this._row[field + ".display"];
  return display === undefined ? String(this._row[field] || "") : String(display);
};
GlideRecord.prototype.initialize = function () { this._fields().forEach((k) => delete this[k]); this._row = null; };
GlideRecord.prototype.insert = function () {
  const row = { sys_id: crypto.randomUUID() };
  this._fields().forEach((k) => { row[k] = String(this[k]); });
  (tables[this._table] = tables[this._table] || []).push(row);
  return row.sys_id;
};
GlideRecord.prototype.update = function () {
  const row = this._row;
  this._fields().forEach((k) => {
    if (k === "work_notes" || k === "comments") (row[k] = row[k] || []).push(String(this[k]));  // journal fields append
    else row[k] = String(this[k]);
  });
  return row.sys_id;
};

const platform = {
  gs: { getProperty: (name, fallback) => (name in (input.properties || {}) ? input.properties[name] : fallback) },
  GlideRecord,
  GlideDateTime: function () { this.getNumericValue = () => (input.now_ms === undefined ? Date.now() : input.now_ms); },
  GlideStringUtil: { base64Encode: (text) => Buffer.from(String(text), "utf8").toString("base64") },
  GlideCertificateEncryption: function () {
    this.generateMac = (key, algorithm, data) => {
      if (algorithm !== "HmacSHA256") throw new Error("unexpected algorithm " + algorithm);
      return crypto.createHmac("sha256", Buffer.from(key, "base64")).update(String(data), "utf8").digest("base64");
    };
  },
  JSON,
};
const sandbox = vm.createContext({ ...platform });

// A Script Include as the instance loads it: on the first call of the function it is named
// after, on its own. Only that function reaches the scripts that call it; a helper of one
// include is not there for another (the webhook's REST resource never loads the link's).
function loadInclude(path) {
  const code = fs.readFileSync(path, "utf8");
  const name = /Script Include "(\w+)"/.exec(code)[1];
  const own = vm.createContext({ ...platform });
  vm.runInContext(code, own, { filename: path });
  if (typeof own[name] !== "function") throw new Error(path + " defines no function " + name);
  sandbox[name] = own[name];
}

const [mode, ...scripts] = process.argv.slice(2);
function run(path, extra) {
  Object.assign(sandbox, extra || {});
  vm.runInContext(fs.readFileSync(path, "utf8"), sandbox, { filename: path });
}

if (mode === "link") {
  const [include, mailScript] = scripts;
  loadInclude(include);
  const current = new GlideRecord("incident");
  current.get("number", input.number);
  const printed = [];
  run(mailScript, { current, template: { print: (text) => printed.push(String(text)) }, email: {}, email_action: {}, event: {} });
  console.log(JSON.stringify({ printed }));
} else if (mode === "sign") {
  loadInclude(scripts[0]);
  const results = input.cases.map((c) => {
    try {
      return { link: sandbox.portalPrefillLink(c.flow, c.values, 3600) };
    } catch (error) {
      return { error: String(error.message) };
    }
  });
  console.log(JSON.stringify({ results }));
} else if (mode === "verify") {
  scripts.forEach((path) => loadInclude(path));
  const results = input.cases.map((c) => sandbox.portalSignatureValid(c.secret, c.header, c.body, c.now));
  console.log(JSON.stringify({ results }));
} else if (mode === "webhook") {
  scripts.slice(0, -1).forEach((path) => loadInclude(path));
  const resource = fs.readFileSync(scripts[scripts.length - 1], "utf8");
  const answers = input.requests.map((r) => {
    const answer = { status: null, body: null };
    const request = {
      body: { dataString: r.body },
      getHeader: (name) => {
        const key = Object.keys(r.headers).find((k) => k.toLowerCase() === String(name).toLowerCase());
        return key === undefined ? null : r.headers[key];
      },
    };
    const response = { setStatus: (s) => { answer.status = s; }, setBody: (b) => { answer.body = b; } };
    Object.assign(sandbox, { request, response });
    vm.runInContext(resource, sandbox, { filename: "webhook.js" });
    return answer;
  });
  console.log(JSON.stringify({ answers, tables }));
} else {
  throw new Error("unknown mode " + mode);
}

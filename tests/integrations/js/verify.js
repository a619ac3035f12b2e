// Runs the webhooks guide's verify-portal-signature.js over the cases on stdin.
// node verify.js <verify-portal-signature.js>  < {"cases": [{secret, header, body, now}]}
"use strict";
const fs = require("fs");
const { verifyPortalSignature } = require(process.argv[2]);
const { cases } = JSON.parse(fs.readFileSync(0, "utf8"));
const results = cases.map((c) => verifyPortalSignature(c.secret, c.header, Buffer.from(c.body, "utf8"), { now: c.now }));
console.log(JSON.stringify({ results }));
